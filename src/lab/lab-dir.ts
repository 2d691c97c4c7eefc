import type { DirRole } from '../util/safe-dir.ts';

/** How a lab directory is named in errors about it (see `checkDirPath`). */
export const LAB_DIR_ROLE: DirRole = {
  what: 'lab directory',
  nextStep: 'Give --lab-dir a directory you can write to (or a path that can be created under one), or leave it out to use .pgdrill in the current directory.',
};
