import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../util/process-alive.ts';
import type { ClusterRows } from './cluster.ts';
import type { LabOwner } from './lab-state.ts';
import { pidFromPidFile, portFromPidFile } from './pid-file.ts';
import type { PoolerStatus } from './pooler.ts';
import type { ArchiverHealth } from './wal-archiver.ts';

/** One SQL statement as a superuser; its rows. */
type Query = (database: string, sql: string, params?: unknown[]) => Promise<ClusterRows>;

/** A snapshot of the lab, as `pgdrill lab status` shows it. */
export interface LabStatus {
  labDir: string;
  exists: boolean;
  running: boolean;
  pid: number | undefined;
  port: number | undefined;
  dataDir: string | undefined;
  archiveDir: string | undefined;
  logFile: string | undefined;
  owner: LabOwner | null;
  pgMajor: number | undefined;
  /** Brought up with `--ssl`: ssl on, service roles must use it. */
  ssl: boolean;
  /** WAL segments in the archive. */
  archivedWalFiles: number;
  /** The primary's archiver (pg_stat_archiver, files waiting), when it runs; `problem` says what is wrong in plain words. */
  archiver: ArchiverHealth | null;
  /** Connections by state from pg_stat_activity, when running. */
  connections: Record<string, number>;
  /** The streaming replica, when the lab has one. */
  replica: ReplicaStatus | null;
  /** Scratch and side clusters left beside the lab (a PITR or a verification that did not finish). */
  scratchClusters: ScratchClusterEntry[];
  /** PgBouncer, when the lab has one (`lab up --pooler`): pid, port, upstream and SHOW POOLS. */
  pooler: PoolerStatus | null;
}

/**
 * A scratch or side cluster found in the lab's scratch directory: its name
 * (the directory), data directory, and whether its postmaster runs (pid,
 * port from postmaster.pid).
 */
export interface ScratchClusterEntry {
  name: string;
  dataDir: string;
  running: boolean;
  pid: number | undefined;
  port: number | undefined;
}

/**
 * The lab's streaming replica as `lab status` shows it: where it runs, how
 * far it has received and replayed the primary's WAL (asked of the
 * replica), and the primary's view of the stream (`pg_stat_replication`:
 * write/flush/replay lag and how many bytes of WAL the replica is behind).
 */
export interface ReplicaStatus {
  port: number;
  dataDir: string;
  logFile: string;
  running: boolean;
  pid: number | undefined;
  /** `standby` while it replays the primary's WAL; `promoted` once it is a primary of its own. */
  role: 'standby' | 'promoted';
  /** pg_last_wal_receive_lsn() / pg_last_wal_replay_lsn() on the replica, when it runs. */
  receiveLsn: string | null;
  replayLsn: string | null;
  /** The primary's pg_stat_replication row for the replica; null when the primary does not see it streaming. */
  stream: {
    state: string;
    /** `async` or `sync` (synchronous_standby_names names it). */
    syncState: string;
    sentLsn: string | null;
    writeLsn: string | null;
    flushLsn: string | null;
    replayLsn: string | null;
    /** Lags in milliseconds as the primary measured them; null when there was nothing recent to measure. */
    writeLagMs: number | null;
    flushLagMs: number | null;
    replayLagMs: number | null;
    /** WAL bytes between the primary's current position and what the replica flushed / replayed. */
    flushBytesBehind: number | null;
    replayBytesBehind: number | null;
  } | null;
}

/** The WAL segment files in an archive directory, oldest first (none when it does not exist yet). */
export function archivedSegments(archiveDir: string): string[] {
  try {
    return readdirSync(archiveDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
  } catch {
    return [];
  }
}

/** A running server's connections by state (`pg_stat_activity`; background processes by their type). */
export async function connectionsByState(query: Query): Promise<Record<string, number>> {
  const connections: Record<string, number> = {};
  const rows = await query('postgres', 'SELECT coalesce(state, backend_type) AS state, count(*)::int AS n FROM pg_stat_activity GROUP BY 1 ORDER BY 1');
  for (const row of rows) if (typeof row.state === 'string' && row.state) connections[row.state] = Number(row.n);
  return connections;
}

/** The clusters in a lab's scratch directory (one directory each, its data in `data/`), running or not. */
export function listScratchClusters(scratchRoot: string): ScratchClusterEntry[] {
  if (!existsSync(scratchRoot)) return [];
  return readdirSync(scratchRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dataDir = path.join(scratchRoot, e.name, 'data');
      const pid = pidFromPidFile(dataDir);
      const running = pid !== undefined && isProcessAlive(pid);
      return { name: e.name, dataDir, running, pid: running ? pid : undefined, port: running ? portFromPidFile(dataDir) : undefined };
    });
}

/** How far a running standby has received and replayed WAL (asked of the standby); nulls while it starts or stops. */
export async function standbyPositions(query: Query): Promise<{ receiveLsn: string | null; replayLsn: string | null }> {
  try {
    const [row] = await query('postgres', 'SELECT pg_last_wal_receive_lsn()::text AS recv, pg_last_wal_replay_lsn()::text AS replay');
    return { receiveLsn: (row?.recv as string | null) ?? null, replayLsn: (row?.replay as string | null) ?? null };
  } catch {
    // starting up or shutting down: positions unknown
    return { receiveLsn: null, replayLsn: null };
  }
}

/** The primary's view of the stream to the standby named `applicationName` (`pg_stat_replication`), or null when it does not see it. */
export async function replicationStream(primaryQuery: Query, applicationName: string): Promise<ReplicaStatus['stream']> {
  const ms = (col: string) => `round(extract(epoch FROM ${col}) * 1000, 3)::float8`;
  const [row] = await primaryQuery(
    'postgres',
    `SELECT state, sync_state, sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text, ${ms('write_lag')} AS write_lag_ms, ${ms('flush_lag')} AS flush_lag_ms, ${ms('replay_lag')} AS replay_lag_ms,
            pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::float8 AS flush_behind, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS replay_behind
       FROM pg_stat_replication WHERE application_name = $1 LIMIT 1`,
    [applicationName],
  );
  if (!row) return null;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { state: String(row.state), syncState: String(row.sync_state), sentLsn: text(row.sent_lsn), writeLsn: text(row.write_lsn), flushLsn: text(row.flush_lsn), replayLsn: text(row.replay_lsn), writeLagMs: num(row.write_lag_ms), flushLagMs: num(row.flush_lag_ms), replayLagMs: num(row.replay_lag_ms), flushBytesBehind: num(row.flush_behind), replayBytesBehind: num(row.replay_behind) };
}
