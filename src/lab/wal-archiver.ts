import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.ts';

/** The archive script shipped with pgdrill (a POSIX shell script; see its header for the rules). */
export const ARCHIVE_SCRIPT_SOURCE = path.join(PACKAGE_ROOT, 'src', 'lab', 'archive-wal.sh');

/**
 * Copies the archive script into `<serverRoot>/bin/archive-wal` (mode 0755)
 * where the server's account can run it (pgdrill's own install may be in a
 * home directory closed to that account), hands it to that account via
 * `chown`, and returns its path. Run at every server start, so a lab always
 * archives with the script of the pgdrill that starts it.
 */
export function installArchiveScript(serverRoot: string, chown: (target: string) => void): string {
  const binDir = path.join(serverRoot, 'bin');
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  chown(binDir);
  const target = path.join(binDir, 'archive-wal');
  copyFileSync(ARCHIVE_SCRIPT_SOURCE, target);
  chmodSync(target, 0o755);
  chown(target);
  return target;
}

/** The `archive_command` that runs the installed script for `%p`/`%f` into `archiveDir`. */
export function archiveCommand(scriptPath: string, archiveDir: string): string {
  return `"${scriptPath}" "%p" "${archiveDir}" "%f"`;
}

/**
 * The archiver's health as PostgreSQL reports it (`pg_stat_archiver`, and
 * the `.ready` files in `pg_wal/archive_status`). `failing` is true when the
 * last attempt failed (a failure later than the last success): then no WAL
 * after `lastArchivedWal` reaches the archive, and no point-in-time
 * recovery past `lastArchivedAt` is possible.
 */
export interface ArchiverHealth {
  archivedCount: number;
  lastArchivedWal: string | null;
  /** ISO time of the last successful archive, or null. */
  lastArchivedAt: string | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** Segments (and history files) waiting to be archived. */
  waiting: number;
  failing: boolean;
  /** Plain words for a person: what is wrong and what to do; null when healthy. */
  problem: string | null;
}

/** The query `readArchiverHealth` runs (superuser or pg_monitor). */
export const ARCHIVER_HEALTH_SQL = `SELECT archived_count::int AS archived_count, last_archived_wal, to_char(last_archived_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_archived_at,
  failed_count::int AS failed_count, last_failed_wal, to_char(last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_failed_at,
  coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) AS failing,
  (SELECT count(*)::int FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') AS waiting
FROM pg_stat_archiver`;

/** Builds the health record from one row of `ARCHIVER_HEALTH_SQL`; `logFile` is named in the advice. */
export function archiverHealthFromRow(row: Record<string, unknown>, logFile: string): ArchiverHealth {
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));
  const health: ArchiverHealth = {
    archivedCount: Number(row.archived_count ?? 0),
    lastArchivedWal: text(row.last_archived_wal),
    lastArchivedAt: text(row.last_archived_at),
    failedCount: Number(row.failed_count ?? 0),
    lastFailedWal: text(row.last_failed_wal),
    lastFailedAt: text(row.last_failed_at),
    waiting: Number(row.waiting ?? 0),
    failing: row.failing === true || row.failing === 't',
    problem: null,
  };
  if (health.failing) {
    health.problem =
      `WAL archiving is failing: ${health.lastFailedWal ?? 'a file'} could not be archived (last attempt ${health.lastFailedAt}; ${health.failedCount} failed attempts since the server started), ` +
      `${health.waiting} file(s) wait in pg_wal, and nothing after ${health.lastArchivedWal ?? 'the first segment'} (${health.lastArchivedAt ?? 'never'}) can be recovered by PITR. ` +
      `Read "archive-wal:" and "archive command failed" in ${logFile}: when the archive already holds a different file of that name, move the one that does not belong aside; the server retries on its own. Then take a new base backup (\`pgdrill backup run\`).`;
  }
  return health;
}
