import type { Endpoint, Target } from '../core/target.ts';
import type { ArchiverHealth } from './wal-archiver.ts';
import type { PgBinaries } from './pg-binaries.ts';

/** Rows as node-postgres returns them. */
export type ClusterRows = Array<Record<string, unknown>>;

/**
 * A PostgreSQL cluster pgdrill runs and may break: the embedded lab's
 * server (local processes started with pg_ctl) or a container. Faults and
 * runbook steps act on a cluster through this interface, never through
 * pg_ctl or a container engine directly. URLs and `clientEnv` carry
 * passwords: never print them without `redact`.
 */
export interface PgCluster extends Target {
  /** One SQL statement as the superuser through node-postgres; its rows. */
  query(database: string, sql: string, params?: unknown[]): Promise<ClusterRows>;
  /** An SQL script through psql as the superuser (unaligned, tuples only): its output. */
  psql(database: string, script: string): Promise<string>;
  /** The generated password of each seed service role (secret: never print). */
  rolePasswords(): Record<string, string>;
  /** True when the server runs and is this cluster's (a process, a running container). */
  isRunning(): Promise<boolean>;
  /** Starts the server when it does not run (data kept); returns once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server cleanly (fast shutdown). */
  stop(): Promise<void>;
  /** Kills the server without a shutdown (SIGKILL to the postmaster): returns what it killed, for evidence. */
  kill(): Promise<string>;
  /** The running server's archiver health (pg_stat_archiver, files waiting). */
  archiverHealth(): Promise<ArchiverHealth>;
}

/**
 * A lab's streaming replica as faults and runbook steps reach it: directly
 * from this machine (`endpoint`, `adminUrl`, `query`), and as the fault
 * proxy dials it once it is promoted (`proxyUpstream`).
 */
export interface StandbyCluster {
  readonly endpoint: Endpoint;
  readonly proxyUpstream: Endpoint;
  adminUrl(database: string): string;
  query(database: string, sql: string, params?: unknown[]): Promise<ClusterRows>;
}

/**
 * What a lab offers beyond a cluster, which some scenarios need (a scenario
 * whose need a lab lacks is skipped with the reason, never run halfway):
 * `wal-archive` WAL archived where a restore can read it; `pooler`
 * PgBouncer; `lab-files` the server's data directory, WAL archive and
 * processes on this machine (PITR, page repair, backup verification);
 * `replica` a streaming replica to fail over to; `base-backup` a physical
 * base backup taken, the database lost and restored from it and the archive
 * (the DrillLab methods).
 */
export type LabCapability = 'wal-archive' | 'pooler' | 'lab-files' | 'replica' | 'base-backup';

/**
 * Where a drill runs: the embedded lab or a containerised one. The engine
 * brings it up, asks it for the fault proxy in front of the cluster, and
 * releases it; everything else goes through `cluster`.
 */
export interface DrillLab {
  /** `lab` (local processes) or `docker` (containers). */
  readonly target: 'lab' | 'docker';
  readonly cluster: PgCluster;
  /** The lab's own directory (state, kept systems, logs). */
  readonly labDir: string;
  readonly capabilities: ReadonlySet<LabCapability>;
  /** Client programs (psql, pg_dump) of this machine for the cluster's major version. */
  pg(): PgBinaries;
  /** The address the fault proxy dials to reach the primary (`host:port` as the proxy sees it). */
  readonly proxyUpstream: Endpoint;
  /** The streaming replica, when the lab has one. */
  readonly replicaCluster: StandbyCluster | null;
  /** Adds a streaming replica when the lab has none (and starts it); `synchronous` makes every commit wait for its flush. */
  ensureReplica(options: { synchronous: boolean }): Promise<StandbyCluster>;
  /**
   * After a failover drill, the lab whole again: a promoted replica becomes
   * the lab's primary (the dead one discarded), else the old primary starts
   * again (crash recovery); no commit waits for a replica any more.
   */
  restoreTopology(log: (line: string) => void): Promise<void>;
  /** Takes a physical base backup of the primary where a restore finds it (the nightly backup); returns one line about it. */
  takeBaseBackup(log: (line: string) => void): Promise<string>;
  /** The whole database lost: the server killed (SIGKILL) and its data removed; the WAL archive and base backups survive. Returns what it did. */
  loseDatabase(): Promise<string>;
  /** Whether the primary's data (PG_VERSION) still exists. */
  dataPresent(): Promise<boolean>;
  /**
   * Restores the newest base backup and replays every archived WAL segment,
   * then runs the result as the lab's primary at its usual address (a new
   * timeline). Returns one line about the recovery.
   */
  restoreLatestBackup(log: (line: string) => void): Promise<string>;
}

/** Where a drill runs: the embedded lab, or containers. */
export type DrillTargetKind = 'lab' | 'docker';

/** What each target offers a scenario's `needs`. */
export const TARGET_CAPABILITIES: Record<DrillTargetKind, ReadonlySet<LabCapability>> = {
  lab: new Set(['wal-archive', 'pooler', 'lab-files', 'replica', 'base-backup']),
  // WAL archived into a volume, base backups in a volume, a replica container; no PgBouncer, no server files on this machine.
  docker: new Set(['wal-archive', 'replica', 'base-backup']),
};

const CAPABILITY_WORDS: Record<LabCapability, string> = {
  'wal-archive': 'a WAL archive',
  pooler: 'PgBouncer in the service path',
  'lab-files': "the server's data directory, WAL archive and processes on this machine (PITR, page repair, backup verification)",
  replica: 'a streaming replica',
  'base-backup': 'base backups restored with the WAL archive',
};

/** Why `scenario` cannot run on `target` (what it needs that the target lacks), or undefined when it can. */
export function lackingCapabilities(scenario: { id: string; needs?: readonly LabCapability[] }, target: DrillTargetKind): string | undefined {
  const missing = (scenario.needs ?? []).filter((n) => !TARGET_CAPABILITIES[target].has(n));
  if (missing.length === 0) return undefined;
  return `The scenario "${scenario.id}" needs ${missing.map((n) => CAPABILITY_WORDS[n]).join(' and ')}, which the ${target === 'docker' ? 'Docker' : 'embedded lab'} target does not offer yet.`;
}

