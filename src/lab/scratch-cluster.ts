import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { CommandError, UserError, errorMessage } from '../core/errors.ts';
import type { CleanupStack } from '../util/cleanup.ts';
import { outsideScope, throwIfScopeAborted } from '../util/work-scope.ts';
import { sleep } from '../util/sleep.ts';
import { ensureDir } from '../util/safe-dir.ts';
import { freePort } from './free-port.ts';
import { LocalServer } from './local-server.ts';
import type { PgBinaries } from './pg-binaries.ts';
import { chownTreeToServer, copyTree } from './server-process.ts';
import type { ServerUser } from './server-user.ts';
import { socketDirFor } from './socket-dir.ts';
import { confLines } from './conf-file.ts';

/**
 * Where a point-in-time recovery stops. `end` replays every WAL segment the
 * archive holds; `immediate` stops as soon as the base backup is consistent.
 * `inclusive: false` stops just before the target (the bad transaction is
 * not applied).
 */
export type RecoveryTarget =
  | { kind: 'end' }
  | { kind: 'immediate' }
  | { kind: 'time'; time: string; inclusive?: boolean }
  | { kind: 'lsn'; lsn: string; inclusive?: boolean }
  | { kind: 'xid'; xid: string; inclusive?: boolean };

/** How to build one scratch (side) cluster from a plain-format base backup. */
export interface ScratchClusterOptions {
  binaries: PgBinaries;
  user: ServerUser;
  /** A directory the server user can enter; the cluster lives in `<root>/<name>/` and is removed with it. */
  root: string;
  /** Unique name (letters, digits, dashes). */
  name: string;
  /** The WAL archive `restore_command` copies from; without it only the WAL inside the backup is replayed. */
  archiveDir?: string;
  target?: RecoveryTarget;
  /** A superuser of the restored cluster (the one that took the backup); reached through a private socket with trust auth. */
  superuser: string;
  /** Registers stop-and-remove on this stack so that SIGINT cleans up too. */
  cleanup?: CleanupStack;
  /** Bound on copy + recovery; default 30 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Run the copy and the server (every backend it starts) at the lowest CPU
   * and I/O priority (see `lowPriority`): for restores that only check a
   * backup, beside a lab whose service must not feel them. Off for a
   * restore that is the recovery itself.
   */
  background?: boolean;
}

/**
 * What identifies a scratch cluster across processes (JSON, journaled by a
 * guided session): where it lives, its port and its superuser. No secret:
 * the harness reaches it through its private socket directory.
 */
export interface ScratchClusterRecord {
  root: string;
  name: string;
  port: number;
  superuser: string;
}

/** What a finished recovery looked like: durations and where the WAL replay stopped. */
export interface RecoveryReport {
  copyMs: number;
  /** From server start to promotion (replay of the archived WAL included). */
  recoveryMs: number;
  /** From the start of the copy to a writable cluster: the restore time (RTO evidence). */
  totalMs: number;
  /** The log line "last completed transaction was at log time ..." when present. */
  lastTransactionAt: string | null;
  /** The server log's "recovery stopping before ..." or "redo done at ..." line. */
  stopLine: string | null;
  /** WAL position of the promoted cluster at the end of recovery. */
  endLsn: string;
  /** Timeline the promoted cluster runs on. */
  timeline: number;
}

const HOST = '127.0.0.1';

function recoverySettings(archiveDir: string | undefined, target: RecoveryTarget): Record<string, string> {
  const s: Record<string, string> = {
    restore_command: archiveDir ? `cp "${archiveDir}/%f" "%p"` : 'false',
    recovery_target_timeline: 'latest',
    recovery_target_action: 'promote',
  };
  switch (target.kind) {
    case 'end':
      break;
    case 'immediate':
      s.recovery_target = 'immediate';
      break;
    case 'time':
      s.recovery_target_time = target.time;
      break;
    case 'lsn':
      s.recovery_target_lsn = target.lsn;
      break;
    case 'xid':
      s.recovery_target_xid = target.xid;
      break;
  }
  if (target.kind === 'time' || target.kind === 'lsn' || target.kind === 'xid') s.recovery_target_inclusive = target.inclusive === false ? 'false' : 'true';
  return s;
}

/** Recovery settings as postgresql.conf lines (for a cluster the caller starts itself). */
export function recoveryConfLines(archiveDir: string | undefined, target: RecoveryTarget): string {
  return confLines(recoverySettings(archiveDir, target));
}

/**
 * A throwaway PostgreSQL cluster restored from a base backup: copied into
 * its own directory (owned by the server user, mode 0700), started on a free
 * loopback port with `archive_mode = off` (it never writes into the lab's
 * archive), recovered from the archive up to its target, promoted, and
 * reachable by the harness through a private Unix socket. `destroy` stops it
 * and removes every file; it runs from the cleanup stack on SIGINT too.
 */
export class ScratchCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  port = 0;
  report: RecoveryReport | undefined;
  private destroyed = false;
  private undefer: (() => Promise<void>) | undefined;

  private constructor(private readonly options: ScratchClusterOptions) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(options.name)) throw new UserError(`"${options.name}" is not a valid scratch cluster name.`);
    this.dir = path.join(options.root, options.name);
    this.dataDir = path.join(this.dir, 'data');
    this.socketDir = socketDirFor(path.join(this.dir, 'run'));
    this.logFile = path.join(this.dir, 'postgres.log');
  }

  /**
   * Restores `baseBackupDir` (a plain-format `pg_basebackup` directory) into
   * a new scratch cluster, replays WAL to the target and promotes it. Throws
   * a `UserError` carrying the server log's last lines when recovery fails
   * (a missing WAL segment, a target never reached, a damaged file); the
   * scratch cluster is removed then.
   */
  static async restore(baseBackupDir: string, options: ScratchClusterOptions): Promise<ScratchCluster> {
    const cluster = new ScratchCluster(options);
    const { cleanup } = options;
    if (cleanup) cluster.undefer = cleanup.defer(`remove scratch cluster ${options.name}`, () => cluster.destroy());
    try {
      await cluster.build(baseBackupDir);
      return cluster;
    } catch (error) {
      await cluster.destroy().catch(() => {});
      throw error;
    }
  }

  /**
   * Takes up a scratch cluster that another process (or an earlier
   * session) made, from its record: one still running is used as it is; one
   * whose server stopped (a `lab down`, a reboot) is started again from its
   * directory unless `start` is false. A cluster whose directory is gone is
   * a `UserError` saying so.
   */
  static async attach(record: ScratchClusterRecord, options: Pick<ScratchClusterOptions, 'binaries' | 'user' | 'log'> & { start?: boolean }): Promise<ScratchCluster> {
    const cluster = new ScratchCluster({ ...options, root: record.root, name: record.name, superuser: record.superuser });
    cluster.port = record.port;
    if (!existsSync(path.join(cluster.dataDir, 'PG_VERSION'))) {
      throw new UserError(
        `The side cluster ${record.name} that an earlier step restored is gone (${cluster.dataDir} does not exist).`,
        'Run the step that restores it again (in the guide: r on that step, or resume from it), then go on.',
      );
    }
    if (cluster.postmasterPid() !== undefined || options.start === false) {
      cluster.port = cluster.server.pidFilePort() ?? record.port;
      return cluster;
    }
    options.log?.(`Starting the side cluster ${record.name} again from ${cluster.dataDir}.`);
    await cluster.server.start({
      waitSeconds: 120,
      failure: { headline: `The side cluster ${record.name} in ${cluster.dataDir} did not start again`, advice: 'Read its log; if it cannot start, run the step that restores it again.' },
    });
    cluster.port = cluster.server.pidFilePort() ?? record.port;
    return cluster;
  }

  /** The record that `attach` takes this cluster up from. */
  describe(): ScratchClusterRecord {
    return { root: this.options.root, name: this.options.name, port: this.port, superuser: this.options.superuser };
  }

  /** The server process of this cluster (on its current port). */
  private get server(): LocalServer {
    const { binaries, user, name } = this.options;
    const client = { config: (database: string) => this.clientConfig(database), env: (database: string) => this.clientEnv(database) };
    return new LocalServer({ binaries, user, dataDir: this.dataDir, port: this.port, socketDir: this.socketDir, logFile: this.logFile, name: `the side cluster ${name}`, client });
  }

  /** Superuser connection settings for node-postgres (through the private socket). */
  clientConfig(database: string): pg.ClientConfig {
    return { host: this.socketDir, port: this.port, user: this.options.superuser, database, connectionTimeoutMillis: 5000 };
  }

  /** Environment for libpq programs (psql, pg_dump, pg_amcheck) connecting as the superuser through the private socket. */
  clientEnv(database = 'postgres'): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, PGHOST: this.socketDir, PGPORT: String(this.port), PGUSER: this.options.superuser, PGDATABASE: database, PGCONNECT_TIMEOUT: '5' };
    delete env.PGPASSWORD;
    return env;
  }

  /** Where the cluster listens on TCP (password authentication as in the source cluster). */
  get endpoint(): { host: string; port: number } {
    return { host: HOST, port: this.port };
  }

  /** Runs SQL as the superuser and returns the rows. */
  async query(database: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.server.query(database, sql, params);
  }

  /** Runs SQL through psql (unaligned, tuples only) as the superuser. */
  async psql(database: string, sql: string, timeoutMs = 600_000): Promise<string> {
    return this.server.psql(database, sql, timeoutMs);
  }

  /** Last lines of the server log. */
  logTail(lines = 12): string {
    return this.server.logTail(lines);
  }

  /** PID of the postmaster, when one runs. */
  postmasterPid(): number | undefined {
    return this.server.postmasterPid();
  }

  /** Stops the server (fast; immediate when fast does not finish; SIGKILL when neither does). Idempotent. */
  async stop(): Promise<void> {
    await this.server.stop({ fast: 30, immediate: 20, kill: true });
  }

  /**
   * Stops the server and removes every file of the scratch cluster.
   * Idempotent. Runs outside any work scope: it also cleans up after an
   * aborted restore, whose scope refuses new commands.
   */
  destroy(): Promise<void> {
    return outsideScope(() => this.destroyNow());
  }

  private async destroyNow(): Promise<void> {
    if (this.destroyed) return;
    await this.stop();
    rmSync(this.socketDir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
    this.destroyed = true;
    const undefer = this.undefer;
    this.undefer = undefined;
    if (undefer) await undefer();
  }

  /**
   * Stops the server cleanly and hands its data directory over to the
   * caller (who moves it into place); the rest of the scratch directory is
   * removed. The cluster object is spent afterwards.
   */
  async detachDataDir(): Promise<string> {
    await this.stop();
    // Forget the recovery settings: the data directory now serves as a normal cluster.
    const auto = path.join(this.dataDir, 'postgresql.auto.conf');
    if (existsSync(auto)) {
      const text = readFileSync(auto, 'utf8');
      const marker = text.indexOf('# pgdrill scratch cluster');
      if (marker >= 0) writeFileSync(auto, text.slice(0, marker));
    }
    rmSync(path.join(this.dataDir, 'pg_hba.pgdrill-orig'), { force: true });
    const hba = path.join(this.dataDir, 'pg_hba.conf');
    const hbaText = readFileSync(hba, 'utf8');
    writeFileSync(hba, hbaText.replace(/^# pgdrill scratch[^\n]*\nlocal all all trust\n/m, ''));
    // The adopted cluster uses its new owner's socket directory; this one served the scratch cluster only.
    rmSync(this.socketDir, { recursive: true, force: true });
    this.destroyed = true;
    const undefer = this.undefer;
    this.undefer = undefined;
    if (undefer) {
      // Keep the data directory: remove only what is around it.
      const kept = this.dataDir;
      await undefer().catch(() => {});
      void kept;
    }
    return this.dataDir;
  }

  private async build(baseBackupDir: string): Promise<void> {
    const { user, log = () => {} } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 30 * 60_000;
    if (!existsSync(path.join(baseBackupDir, 'PG_VERSION'))) {
      throw new UserError(`${baseBackupDir} is not a plain-format base backup (it has no PG_VERSION file).`, 'Point at the base/ directory of a pgdrill backup.');
    }
    const started = performance.now();
    ensureDir(this.options.root, { what: 'scratch directory' }, 0o700);
    chownTreeToServer(user, this.options.root);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { mode: 0o700 });
    log(`Copying the base backup into ${this.dataDir}.`);
    await copyTree(baseBackupDir, this.dataDir, timeoutMs, this.options.background);
    rmSync(path.join(this.dataDir, 'backup_manifest'), { force: true });
    rmSync(this.socketDir, { recursive: true, force: true });
    mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
    chownTreeToServer(user, this.socketDir);
    this.port = await freePort(HOST);
    const target = this.options.target ?? { kind: 'end' };
    const settings: Record<string, string | number> = {
      port: this.port,
      listen_addresses: HOST,
      unix_socket_directories: this.socketDir,
      archive_mode: 'off',
      hot_standby: 'on',
      wal_level: 'replica',
      shared_buffers: '64MB',
      statement_timeout: 0,
      log_min_messages: 'warning',
      log_line_prefix: '%m [%p] ',
      ...recoverySettings(this.options.archiveDir, target),
    };
    appendFileSync(path.join(this.dataDir, 'postgresql.auto.conf'), `\n# pgdrill scratch cluster: recovery settings (removed when the data directory is adopted)\n${confLines(settings)}\n`);
    const hba = path.join(this.dataDir, 'pg_hba.conf');
    writeFileSync(hba, `# pgdrill scratch: the harness reaches it through its private socket directory (mode 0700)\nlocal all all trust\n${readFileSync(hba, 'utf8')}`);
    writeFileSync(path.join(this.dataDir, 'recovery.signal'), '');
    rmSync(path.join(this.dataDir, 'standby.signal'), { force: true });
    chmodSync(this.dataDir, 0o700);
    chownTreeToServer(user, this.dir);
    const copyMs = performance.now() - started;

    const recoveryStarted = performance.now();
    log(`Starting the scratch cluster on ${HOST}:${this.port} and replaying WAL (${target.kind === 'end' ? 'to the end of the archive' : `target ${JSON.stringify(target)}`}).`);
    await this.server.start({
      waitSeconds: Math.ceil(timeoutMs / 1000),
      background: this.options.background,
      failure: (error) => this.recoveryFailed(error instanceof CommandError ? 'the server did not start' : errorMessage(error)),
    });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let inRecovery: boolean | undefined;
      try {
        const [row] = await this.query('postgres', 'SELECT pg_is_in_recovery() AS r');
        inRecovery = Boolean(row?.r);
      } catch {
        inRecovery = undefined;
      }
      if (inRecovery === false) break;
      throwIfScopeAborted();
      if (!this.postmasterPid()) throw this.recoveryFailed('the server stopped during recovery');
      if (performance.now() > deadline) throw this.recoveryFailed(`recovery did not finish within ${Math.round(timeoutMs / 1000)} s`);
      await sleep(100);
    }
    const recoveryMs = performance.now() - recoveryStarted;
    const [row] = await this.query('postgres', 'SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint())::int AS tl');
    const logText = (() => {
      try {
        return readFileSync(this.logFile, 'utf8');
      } catch {
        return '';
      }
    })();
    const last = /last completed transaction was at log time ([^\n]+)/.exec(logText);
    const stop = /(recovery stopping (?:before|after)[^\n]*|redo done at[^\n]*)/.exec(logText);
    this.report = {
      copyMs,
      recoveryMs,
      totalMs: performance.now() - started,
      lastTransactionAt: last?.[1]?.trim() ?? null,
      stopLine: stop?.[1]?.trim() ?? null,
      endLsn: String(row?.lsn ?? ''),
      timeline: Number(row?.tl ?? 0),
    };
  }

  private recoveryFailed(what: string): UserError {
    const tail = this.logTail();
    return new UserError(
      `The restore into the scratch cluster ${this.options.name} failed: ${what}.${tail ? `\nLast lines of its server log:\n${tail}` : ''}`,
      'The backup or the WAL archive is damaged or incomplete: take a new base backup (`pgdrill backup run`) and check the archive.',
    );
  }
}
