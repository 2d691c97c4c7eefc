import { UserError } from '../core/errors.ts';
import { tryPidLock } from '../util/pid-lock.ts';

/** Locks this process holds (a second writer in the same process is refused too). */
const heldHere = new Set<string>();

/**
 * An exclusive claim on a journal file (`<journal>.lock`, holding the pid),
 * so two pgdrill processes never append to the same journal. A lock left by
 * a process that is gone (killed, crashed) is taken over. Returns the
 * release function.
 */
export function lockJournal(file: string): () => void {
  const lockFile = `${file}.lock`;
  if (heldHere.has(lockFile)) throw new UserError(`The journal ${file} is in use by pgdrill process ${process.pid}.`, 'Finish or quit that session first; a journal has one writer at a time.');
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = tryPidLock(lockFile);
    if (typeof claim === 'function') {
      heldHere.add(lockFile);
      return () => {
        heldHere.delete(lockFile);
        claim();
      };
    }
    if (claim !== undefined) throw new UserError(`The journal ${file} is in use by pgdrill process ${claim}.`, 'Finish or quit that session first; a journal has one writer at a time.');
  }
  throw new UserError(`Could not lock the journal ${file} (${lockFile} keeps reappearing).`, 'Check that no other pgdrill process is using this journal.');
}
