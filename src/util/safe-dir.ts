import { accessSync, constants, mkdirSync, statfsSync, statSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';

/** Trees of kernel pseudo-files: no place for pgdrill's files (and Node's recursive mkdir spins for ever under /proc). */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

/**
 * Filesystem types (statfs f_type) of kernel pseudo-filesystems, wherever
 * they are mounted: procfs, sysfs, devpts, cgroup and cgroup2, debugfs,
 * tracefs, securityfs, pstore, bpf, configfs, fusectl, binfmt_misc, mqueue,
 * efivarfs.
 */
const PSEUDO_FS_TYPES = new Set([
  0x9fa0, 0x62656572, 0x1cd1, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x73636673, 0x6165676c, 0xcafe4a11, 0x62656570, 0x65735543, 0x42494e4d, 0x19800202, 0xde5e81e4,
]);

/** How to name the directory in messages, and what to tell the user. */
export interface DirRole {
  /** e.g. "lab directory", "backup directory", "journal's directory". */
  what: string;
  /** The next step printed after the problem; default: choose another path. */
  nextStep?: string;
}

function problem(role: DirRole, dir: string, why: string): UserError {
  return new UserError(`The ${role.what} ${dir} ${why}.`, role.nextStep ?? `Choose a ${role.what} that is a directory you can write to, or a path that can be created under one.`);
}

/** The nearest of `dir` and its parents that exists, with its stats; `dir` itself when it exists. */
function nearestExisting(dir: string, role: DirRole): { at: string; stats: Stats } {
  let at = dir;
  for (;;) {
    try {
      return { at, stats: statSync(at) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a parent is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw problem(role, dir, `cannot be checked (${errorMessage(error)})`);
      const parent = path.dirname(at);
      if (parent === at) throw problem(role, dir, 'has no existing parent directory');
      at = parent;
    }
  }
}

/**
 * Checks that `dir` can serve as a directory pgdrill writes into: it is a
 * directory, or it does not exist yet and its nearest existing parent is one;
 * it is not on a kernel pseudo-filesystem (/proc, /sys, /dev, cgroup...);
 * and, with `writable` (the default), the directory (or that parent) is
 * writable. Only stat, statfs and access calls: it never hangs. Returns the
 * absolute path; anything else is a `UserError` naming the path and the
 * problem.
 */
export function checkDirPath(dir: string, role: DirRole, options: { writable?: boolean } = {}): string {
  const resolved = path.resolve(dir);
  const pseudo = PSEUDO_ROOTS.find((root) => resolved === root || resolved.startsWith(`${root}/`));
  if (pseudo) throw problem(role, resolved, `is under ${pseudo}, a tree of kernel pseudo-files, not a place for files`);
  const { at, stats } = nearestExisting(resolved, role);
  if (!stats.isDirectory()) {
    throw problem(role, resolved, at === resolved ? 'is not a directory (it is a file or a device)' : `cannot be created: ${at} is a file, not a directory`);
  }
  let fsType: number | undefined;
  try {
    fsType = statfsSync(at).type;
  } catch {
    // statfs unsupported here: the path checks above stand
  }
  if (fsType !== undefined && PSEUDO_FS_TYPES.has(fsType)) throw problem(role, resolved, `is on a kernel pseudo-filesystem (${at}), not a place for files`);
  if (options.writable ?? true) {
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch (error) {
      throw problem(role, resolved, at === resolved ? `is not writable (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})` : `cannot be created: ${at} is not writable (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
    }
  }
  return resolved;
}

/**
 * Creates `dir` (and its parents) after `checkDirPath` allowed it: the one
 * way pgdrill makes a directory a user named. Returns the absolute path.
 */
export function ensureDir(dir: string, role: DirRole, mode?: number): string {
  const resolved = checkDirPath(dir, role);
  try {
    mkdirSync(resolved, { recursive: true, ...(mode !== undefined ? { mode } : {}) });
  } catch (error) {
    throw problem(role, resolved, `could not be created (${errorMessage(error)})`);
  }
  return resolved;
}

/**
 * Checks, before any work, that a file pgdrill will write at the end (a
 * report, the history) can be written: its directory passes `checkDirPath`
 * and the file itself, when it exists, is not a directory. `flag` names the
 * option in the message (e.g. "--json").
 */
export function checkOutputFile(file: string, flag: string): string {
  const resolved = path.resolve(file);
  const role: DirRole = { what: `directory of ${flag}`, nextStep: `Give ${flag} a file in a directory you can write to.` };
  checkDirPath(path.dirname(resolved), role);
  let stats: Stats | undefined;
  try {
    stats = statSync(resolved);
  } catch {
    // not there yet: it will be created
  }
  if (stats?.isDirectory()) throw new UserError(`${flag} ${resolved} is a directory, not a file.`, `Give ${flag} the path of a file to write.`);
  return resolved;
}

/** Writes a report file, creating its directory first (checked like every directory pgdrill makes). */
export function writeReportFile(file: string, content: string): void {
  const resolved = path.resolve(file);
  ensureDir(path.dirname(resolved), { what: `directory of the report ${resolved}`, nextStep: 'Choose a report path in a directory you can write to.' });
  writeFileSync(resolved, content);
}
