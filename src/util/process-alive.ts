import { readFileSync } from 'node:fs';

/**
 * True when a process with this pid exists and is not a zombie. Processes
 * that daemonize (the postmaster) are reparented to PID 1, which on some
 * machines does not reap them promptly; a zombie has exited and counts as
 * gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) said it exists
  }
}
