import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../util/process-alive.ts';

/*
 * A PostgreSQL data directory's postmaster.pid: its first line is the
 * postmaster's pid, its fourth the port. The readers never throw: a missing
 * or unreadable file reads as undefined.
 */

/** The pid recorded in a data directory's postmaster.pid (alive or not), if any. */
export function pidFromPidFile(dataDir: string): number | undefined {
  return readPidLine(path.join(dataDir, 'postmaster.pid'));
}

/** The port recorded in a data directory's postmaster.pid (its fourth line), if any. */
export function portFromPidFile(dataDir: string): number | undefined {
  try {
    const port = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes postmaster.pid when the postmaster it names has exited but is a
 * zombie (PostgreSQL itself treats a zombie's pid as a live postmaster and
 * refuses to start). A pid that is really alive is left alone.
 */
export function removeStalePidFile(dataDir: string): void {
  const pid = pidFromPidFile(dataDir);
  if (pid !== undefined && !isProcessAlive(pid)) rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
}

/** The same for the Unix socket lock file of `port` (and its socket) in a socket directory. */
export function removeStaleSocketLock(socketDir: string, port: number): void {
  const lock = path.join(socketDir, `.s.PGSQL.${port}.lock`);
  const pid = readPidLine(lock);
  if (pid !== undefined && !isProcessAlive(pid)) {
    rmSync(lock, { force: true });
    rmSync(path.join(socketDir, `.s.PGSQL.${port}`), { force: true });
  }
}

function readPidLine(file: string): number | undefined {
  try {
    const pid = Math.abs(Number(readFileSync(file, 'utf8').split('\n')[0]));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
