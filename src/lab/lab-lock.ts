import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { tryPidLock } from '../util/pid-lock.ts';
import { ensureDir } from '../util/safe-dir.ts';
import { sleep } from '../util/sleep.ts';
import { LAB_DIR_ROLE } from './lab-dir.ts';

/**
 * Takes the cross-process lock on a lab directory (`lab.lock`, holding the
 * holder's pid), so that two pgdrill processes never start two servers from
 * one lab. Waits up to 2 minutes for a live holder (then a `UserError` naming
 * it); a lock whose holder is gone, or is this process, is taken over; one
 * that cannot be read (a directory in its place) fails at the same deadline.
 * Resolves with the release function (idempotent).
 */
export async function lockLabDir(labDir: string): Promise<() => void> {
  ensureDir(labDir, LAB_DIR_ROLE);
  const file = path.join(labDir, 'lab.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const claim = tryPidLock(file, 0o644);
    if (typeof claim === 'function') return claim;
    if (Date.now() > deadline) {
      if (claim === undefined) throw new UserError(`The lab lock ${file} could not be taken: it cannot be read, or keeps reappearing.`, 'Check that no other pgdrill process uses this lab, then remove that file.');
      throw new UserError(`The lab in ${labDir} is locked by pgdrill process ${claim}.`, 'Wait for that process to finish, or stop it.');
    }
    // A stale lock was just removed: try again at once; a live holder: wait for it.
    await sleep(claim === undefined ? 10 : 100);
  }
}
