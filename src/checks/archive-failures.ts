import { defineCheck } from './check.ts';
import { showAge } from './guc.ts';

/** The seed's limit for the newest archived WAL while segments wait: 5 minutes. */
export const ARCHIVE_STALE_MS = 5 * 60_000;

/** pg_stat_archiver as read, and how many finished segments wait (from WAL file names, visible to any role). */
export interface ArchiveFailureFacts {
  archiveMode: string;
  failedCount: number;
  failing: boolean;
  lastFailedWal: string | null;
  lastArchivedWal: string | null;
  lastArchivedAgoMs: number | null;
  /** Completed segments after the last archived one (0 when archiving is caught up); null when unknown. */
  waiting: number | null;
}

/** Index of a WAL segment name on its timeline (`perId` segments per log id: 256 for 16 MB segments). */
function segmentIndex(name: string, segmentsPerId: number): number {
  return parseInt(name.slice(8, 16), 16) * segmentsPerId + parseInt(name.slice(16, 24), 16);
}

/**
 * `archive-failures`: the archiver is not failing (its last attempt
 * succeeded), and WAL waiting to be archived does not sit there: the last
 * segment was archived less than 5 minutes ago whenever segments wait.
 */
export const archiveFailuresCheck = defineCheck<ArchiveFailureFacts>({
  id: 'archive-failures',
  group: 'backups',
  title: 'WAL archiver healthy',
  seedSection: '5. Backup Strategy: Backup Architecture; 9. Monitoring (Backup Age)',
  expected: 'the archiver\'s last attempt succeeded and no finished WAL segment waits longer than 5 min',
  async read(ctx) {
    const [row] = await ctx.query(
      null,
      `SELECT current_setting('archive_mode') AS archive_mode, failed_count::int AS failed_count, last_failed_wal, last_archived_wal,
              coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) AS failing,
              (extract(epoch FROM now() - last_archived_time) * 1000)::bigint AS archived_ago_ms,
              CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_insert_lsn()) END AS current_wal,
              (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size') AS segment_size
         FROM pg_stat_archiver`,
    );
    const lastArchived = (row?.last_archived_wal as string | null) ?? null;
    const current = (row?.current_wal as string | null) ?? null;
    const perId = Math.floor(2 ** 32 / Number(row?.segment_size ?? 16 * 1024 * 1024));
    // Unknown on a standby, before the first archive, or across a timeline switch.
    let waiting: number | null = null;
    if (current && lastArchived && /^[0-9A-F]{24}$/.test(lastArchived) && lastArchived.slice(0, 8) === current.slice(0, 8)) {
      waiting = Math.max(0, segmentIndex(current, perId) - segmentIndex(lastArchived, perId) - 1);
    }
    return {
      archiveMode: String(row?.archive_mode),
      failedCount: Number(row?.failed_count ?? 0),
      failing: row?.failing === true,
      lastFailedWal: (row?.last_failed_wal as string | null) ?? null,
      lastArchivedWal: lastArchived,
      lastArchivedAgoMs: row?.archived_ago_ms === null || row?.archived_ago_ms === undefined ? null : Number(row.archived_ago_ms),
      waiting,
    };
  },
  judge(f) {
    if (f.archiveMode === 'off') return { status: 'fail', found: 'archive_mode = off: nothing is archived', fix: 'turn archiving on (see the wal-archiving check)' };
    const last = f.lastArchivedWal ? `last archived ${f.lastArchivedWal} ${f.lastArchivedAgoMs === null ? '' : `${showAge(f.lastArchivedAgoMs)} ago`}` : 'nothing archived yet';
    const found = `${last}; ${f.failedCount} failed attempt(s)${f.waiting === null ? '' : `; ${f.waiting} finished segment(s) waiting`}`;
    if (f.failing) return { status: 'fail', found: `archiving is failing (last attempt on ${f.lastFailedWal} failed); ${found}`, fix: 'read "archive command failed" in the server log and repair the archive command or destination; PostgreSQL retries on its own; then take a new base backup' };
    if ((f.waiting ?? 0) > 0 && (f.lastArchivedAgoMs === null || f.lastArchivedAgoMs > ARCHIVE_STALE_MS)) return { status: 'fail', found: `archiving is stuck: ${found}`, fix: 'check that the archiver runs (ps: "archiver"), that archive_command succeeds, and the server log' };
    return { status: 'pass', found };
  },
});
