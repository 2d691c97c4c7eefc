import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isProcessAlive } from './process-alive.ts';

/**
 * One attempt at a pid lock file: `file` created exclusively (with `mode`),
 * holding this process's pid. Returns the release function (removes the
 * file; idempotent) when the lock is taken; the holder's pid when another
 * live process holds it; `undefined` when the file was unreadable or stale
 * (its holder gone, not a pid, or this very process) and was removed or
 * vanished meanwhile, so the caller should simply try again.
 */
export function tryPidLock(file: string, mode = 0o600): (() => void) | number | undefined {
  try {
    const fd = openSync(file, 'wx', mode);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return () => rmSync(file, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder = NaN;
  try {
    holder = Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (Number.isInteger(holder) && holder !== process.pid && isProcessAlive(holder)) return holder;
  rmSync(file, { force: true });
  return undefined;
}
