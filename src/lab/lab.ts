import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { SERVICE_DATABASES, type Endpoint, type ServiceName } from '../core/target.ts';
import { isProcessAlive } from '../util/process-alive.ts';
import { registerSecret } from '../util/redact.ts';
import { sleep } from '../util/sleep.ts';
import { loadFixtures } from './fixtures.ts';
import { freePort, isPortFree } from './free-port.ts';
import { socketDirFor } from './socket-dir.ts';
import { chooseServerRoot, cloneReplica, initLabCluster, installDataDir, labReplicaPaths, labServerPaths, newLabState, type LabReplicaPaths, type LabServerPaths } from './lab-files.ts';
import { readLabState, writeLabState, type LabOwner, type LabState } from './lab-state.ts';
import { findPgBinaries, requireLabVersion, type PgBinaries } from './pg-binaries.ts';
import { chownToServer } from './server-process.ts';
import { LAB_DIR_ROLE } from './lab-dir.ts';
import { lockLabDir } from './lab-lock.ts';
import { LocalServer, type LocalServerOptions } from './local-server.ts';
import { pidFromPidFile } from './pid-file.ts';
import { archivedSegments, connectionsByState, listScratchClusters, replicationStream, standbyPositions, type LabStatus, type ReplicaStatus, type ScratchClusterEntry } from './lab-status.ts';
import { checkDirPath, ensureDir } from '../util/safe-dir.ts';
import { resolveServerUser, type ServerUser } from './server-user.ts';
import { createLabCertificate, ensureSslHba, labSslSettings } from './lab-ssl.ts';
import { findPgBouncer } from './pgbouncer-binary.ts';
import { LabPooler } from './pooler.ts';
import { ARCHIVER_HEALTH_SQL, archiveCommand, archiverHealthFromRow, installArchiveScript, type ArchiverHealth } from './wal-archiver.ts';
import { TARGET_CAPABILITIES, type DrillLab, type PgCluster, type StandbyCluster } from './cluster.ts';
import { SEED_SERVER_SETTINGS } from './seed-settings.ts';

/** Where a lab lives and how to talk about it. */
export interface LabOptions {
  /** The lab directory; default `.pgdrill` under the current directory. */
  labDir?: string;
  /** Receives one line per notable action (start, stop, reap). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export type { LabStatus, ReplicaStatus, ScratchClusterEntry } from './lab-status.ts';

/** The application name the replica streams under (what `synchronous_standby_names` names). */
export const REPLICA_APPLICATION_NAME = 'pgdrill_replica';

const HOST = '127.0.0.1';

/** The service roles a lab with SSL requires it of. */
const SERVICE_ROLES = Object.values(SERVICE_DATABASES).map((d) => d.role);


/**
 * The harness-managed PostgreSQL lab: a real cluster from this machine's
 * binaries, data checksums on, WAL archived into the lab, listening on a
 * free loopback port, with the four seed databases loaded.
 *
 * `up` is idempotent (a running lab is reused, never duplicated) and reaps
 * a lab left running by a pgdrill process that was killed. `down` stops the
 * server and removes nothing unless asked to purge. When pgdrill runs as
 * root the server runs as an unprivileged account that owns its files; when
 * that account cannot reach the lab directory (a home directory closed to
 * others), the server's files are placed under /var/tmp instead, and the
 * lab says so.
 */
export class Lab implements PgCluster, DrillLab {
  readonly kind = 'lab' as const;
  readonly target = 'lab' as const;
  readonly isLab = true;
  readonly capabilities = TARGET_CAPABILITIES.lab;
  readonly labDir: string;
  private readonly log: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  private binaries: PgBinaries | undefined;
  private user: ServerUser | undefined;
  private state: LabState | undefined;

  constructor(options: LabOptions = {}) {
    this.labDir = checkDirPath(options.labDir ?? defaultLabDir(), LAB_DIR_ROLE, { writable: false });
    this.log = options.log ?? (() => {});
    this.env = options.env ?? process.env;
    this.state = readLabState(this.labDir);
    if (this.state) this.registerSecrets(this.state);
  }

  get name(): string {
    return `lab:${path.basename(this.labDir)}`;
  }

  get endpoint(): Endpoint {
    return { host: HOST, port: this.requireState().port };
  }

  /** The lab is its own cluster (DrillLab). */
  get cluster(): PgCluster {
    return this;
  }

  /** The fault proxy runs on this machine and dials the primary directly. */
  get proxyUpstream(): Endpoint {
    return this.endpoint;
  }

  /** Paths of the server's own files. */
  get paths(): LabServerPaths {
    return labServerPaths(this.requireState().serverRoot);
  }

  /** The PostgreSQL binaries the lab uses. */
  pg(): PgBinaries {
    this.binaries ??= requireLabVersion(findPgBinaries(this.env));
    return this.binaries;
  }

  adminUrl(database: string, via?: Endpoint): string {
    const s = this.requireState();
    const at = via ?? { host: HOST, port: s.port };
    return `postgres://${s.superuser}:${encodeURIComponent(s.superuserPassword)}@${at.host}:${at.port}/${database}`;
  }

  serviceUrl(service: ServiceName, via?: Endpoint): string {
    const s = this.requireState();
    const { database, role } = SERVICE_DATABASES[service];
    const password = s.servicePasswords[role];
    if (!password) throw new UserError(`The lab has no password recorded for role ${role}.`, 'Recreate the lab with `pgdrill lab down --purge` then `pgdrill lab up`.');
    const at = via ?? { host: HOST, port: s.port };
    // A lab with SSL rejects the service roles without it; the certificate is self-signed, so it is not verified.
    return `postgres://${role}:${encodeURIComponent(password)}@${at.host}:${at.port}/${database}${s.ssl ? '?sslmode=no-verify' : ''}`;
  }

  /** The generated password of each service role (secret: never print). */
  rolePasswords(): Record<string, string> {
    return { ...this.requireState().servicePasswords };
  }

  /** Environment for libpq programs (psql, pg_isready, pg_dump) run as the lab's superuser. */
  clientEnv(): NodeJS.ProcessEnv {
    const s = this.requireState();
    return { ...this.env, PGHOST: HOST, PGPORT: String(s.port), PGUSER: s.superuser, PGPASSWORD: s.superuserPassword, PGDATABASE: 'postgres', PGCONNECT_TIMEOUT: '5' };
  }

  /** Whether the lab was brought up with `--ssl` (ssl on, service roles rejected without SSL). */
  get ssl(): boolean {
    return this.state?.ssl === true;
  }

  /** The recorded owner of the running server, if any. */
  get owner(): LabOwner | null {
    return this.state?.owner ?? null;
  }

  /**
   * Brings the lab up: creates the cluster on first use, reaps a server (and
   * replica) left by a killed pgdrill, starts the server when it is not
   * running and loads the fixtures once. With `replica`, also creates a
   * streaming replica beside the primary when there is none; a replica the
   * lab already has is started with it. With `pooler`, also runs PgBouncer
   * in front of the primary (see `LabPooler`); a pooler the lab already has
   * is started with it too. `mode` records who owns the server:
   * `persistent` for `lab up`, `ephemeral` for a drill that will stop it.
   * Returns whether this call started the server (and the replica, the pooler).
   */
  async up(mode: LabOwner['mode'] = 'persistent', options: { replica?: boolean; ssl?: boolean; pooler?: boolean } = {}): Promise<{ started: boolean; replicaStarted: boolean; poolerStarted: boolean }> {
    const release = await lockLabDir(this.labDir);
    try {
      this.pg();
      this.user = resolveServerUser(this.env);
      // A missing PgBouncer is a clear error before anything starts, not half a lab.
      if (options.pooler && !this.state?.pooler) findPgBouncer(this.env);
      if (!this.state) await this.create();
      const state = this.requireState();
      let running = await this.isRunning();
      const orphaned = state.owner?.mode === 'ephemeral' && state.owner.pid !== process.pid && !isProcessAlive(state.owner.pid);
      if (orphaned && (running || (await this.isReplicaRunning()) || this.pooler?.isRunning())) {
        this.log(`Reaping a lab server left running by pgdrill process ${state.owner!.pid}, which is gone.`);
        await this.pooler?.stop();
        if (running) await this.stopServer();
        await this.stopReplica();
        running = false;
      } else if (running && state.owner?.mode === 'ephemeral' && state.owner.pid !== process.pid && mode === 'ephemeral') {
        throw new UserError(
          `Another pgdrill process (pid ${state.owner.pid}) is running a drill on the lab in ${this.labDir}.`,
          'Wait for it to finish, or give this run its own lab with --lab-dir.',
        );
      }
      if (options.ssl && !state.ssl) {
        this.log('Making a self-signed certificate; from now on the service roles must connect with SSL.');
        await createLabCertificate(state.serverRoot, (f) => this.chownToServer(f), this.env);
        state.ssl = true;
        writeLabState(state);
        if (running) {
          this.log('Restarting PostgreSQL to turn SSL on.');
          await this.stopServer();
          running = false;
        }
      }
      let started = false;
      if (!running) {
        // Recorded before the start, so that an interrupted start is still stopped (or reaped) later.
        state.owner = { pid: process.pid, mode };
        writeLabState(state);
        await this.startServer();
        started = true;
      } else if (mode === 'persistent' && state.owner?.mode !== 'persistent') {
        state.owner = { pid: process.pid, mode: 'persistent' };
      }
      writeLabState(state);
      if (!state.fixturesLoaded) {
        this.log('Loading the four seed databases from fixtures/.');
        await loadFixtures(this);
        state.fixturesLoaded = true;
        writeLabState(state);
      }
      let replicaStarted = false;
      if (options.replica && !state.replica) {
        await this.createReplica();
        replicaStarted = true;
      } else if (state.replica && !(await this.isReplicaRunning())) {
        await this.startReplica();
        replicaStarted = true;
      }
      if (options.pooler && !state.pooler) {
        state.pooler = { port: await freePort(HOST), upstream: { host: HOST, port: state.port }, createdAt: new Date().toISOString() };
        writeLabState(state);
      }
      const poolerStarted = state.pooler ? await this.startPooler() : false;
      return { started, replicaStarted, poolerStarted };
    } finally {
      release();
    }
  }

  /** Stops the server and its replica (fast shutdown, primary first). With `purge`, also removes every file of the lab. */
  async down(options: { purge?: boolean } = {}): Promise<{ stopped: boolean }> {
    const release = await lockLabDir(this.labDir);
    let stopped = false;
    try {
      if (this.state) {
        this.user = resolveServerUser(this.env);
        // Primary first: at shutdown it sends the replica every WAL record it wrote. The replica
        // is stopped even when stopping the primary failed.
        let failure: unknown;
        try {
          // The pooler first: its clients are cut before the server they reach goes away.
          if (await this.pooler?.stop()) stopped = true;
          if (await this.isRunning()) {
            await this.stopServer();
            stopped = true;
          }
        } catch (error) {
          failure = error;
        }
        if (await this.isReplicaRunning()) {
          await this.stopReplica();
          stopped = true;
        }
        // Side clusters of an unfinished PITR: stopped, kept for a resume (purge removes them with the rest).
        if ((await this.stopScratchClusters({ remove: options.purge })).length > 0) stopped = true;
        if (failure) throw failure;
        this.state.owner = null;
        if (!options.purge) writeLabState(this.state);
      }
      if (options.purge) {
        if (this.state) {
          rmSync(this.paths.socketDir, { recursive: true, force: true });
          rmSync(this.state.serverRoot, { recursive: true, force: true });
        }
        rmSync(path.join(this.labDir, 'lab.json'), { force: true });
        rmSync(path.join(this.labDir, 'log'), { recursive: true, force: true });
        this.state = undefined;
        try {
          if (readdirSync(this.labDir).filter((f) => f !== 'lab.lock').length === 0) rmSync(this.labDir, { recursive: true, force: true });
        } catch {
          // already gone
        }
      }
      return { stopped };
    } finally {
      release();
    }
  }

  /** Stops the server only if this process started it for a drill (ephemeral ownership). */
  async releaseEphemeral(): Promise<boolean> {
    this.state = readLabState(this.labDir);
    if (this.state?.owner?.mode === 'ephemeral' && this.state.owner.pid === process.pid) {
      await this.down();
      return true;
    }
    return false;
  }

  /** What `lab status` shows. Never starts anything. */
  async status(): Promise<LabStatus> {
    const s = this.state;
    if (!s) {
      return { labDir: this.labDir, exists: false, running: false, pid: undefined, port: undefined, dataDir: undefined, archiveDir: undefined, logFile: undefined, owner: null, pgMajor: undefined, ssl: false, archivedWalFiles: 0, archiver: null, connections: {}, replica: null, scratchClusters: [], pooler: null };
    }
    this.user = resolveServerUser(this.env);
    const running = await this.isRunning();
    const p = this.paths;
    const archivedWalFiles = archivedSegments(p.archiveDir).length;
    const connections = running ? await connectionsByState((d, sql) => this.query(d, sql)) : {};
    const replica = s.replica ? await this.replicaStatus(running) : null;
    const archiver = running ? await this.archiverHealth() : null;
    const pooler = (await this.pooler?.status()) ?? null;
    return { labDir: this.labDir, exists: true, running, pid: running ? this.postmasterPid() : undefined, port: s.port, dataDir: p.dataDir, archiveDir: p.archiveDir, logFile: p.logFile, owner: s.owner, pgMajor: s.pgMajor, ssl: s.ssl === true, archivedWalFiles, archiver, connections, replica, scratchClusters: this.scratchClusters(), pooler };
  }

  /**
   * The lab's PgBouncer, or null when the lab has none (`lab up --pooler`
   * makes one). Its `endpoint` is where clients connect (service URLs
   * through it: `serviceUrl(service, pooler.endpoint)`), `adminUrl()` and
   * `admin(command)` reach its admin console, `pid()`/`isRunning()` say
   * whether it runs, `start()`/`stop()` start and stop it, and
   * `setUpstream()` repoints it (after a failover).
   */
  get pooler(): LabPooler | null {
    const s = this.state;
    const entry = s?.pooler;
    if (!s || !entry) return null;
    return new LabPooler({
      dir: path.join(s.serverRoot, 'pooler'),
      port: () => entry.port,
      upstream: () => ({ ...entry.upstream }),
      superuser: s.superuser,
      superuserPassword: s.superuserPassword,
      serverUser: this.serverUser(),
      env: this.env,
      log: this.log,
      query: (database, sql, params) => this.query(database, sql, params),
      saveUpstream: (upstream) => {
        entry.upstream = { ...upstream };
        writeLabState(s);
      },
    });
  }

  /** Starts the lab's PgBouncer when it is not running (on a new free port when its own was taken). */
  private async startPooler(): Promise<boolean> {
    const s = this.requireState();
    const entry = s.pooler!;
    if (this.pooler!.isRunning()) return false;
    const port = await this.portOrFree(entry.port, 'PgBouncer');
    if (port !== entry.port) {
      entry.port = port;
      writeLabState(s);
    }
    return this.pooler!.start();
  }

  /** Where scratch and side clusters live: beside the data directory, owned by the server user. */
  get scratchRoot(): string {
    return path.join(this.requireState().serverRoot, 'scratch');
  }

  /** The scratch and side clusters in the scratch directory, running or not. */
  scratchClusters(): ScratchClusterEntry[] {
    return this.state ? listScratchClusters(this.scratchRoot) : [];
  }

  /**
   * Stops every scratch or side cluster that still runs (immediate
   * shutdown: they are throwaway copies; SIGKILL when pg_ctl fails). With
   * `remove`, also deletes their directories and socket directories.
   * Returns the names it acted on.
   */
  async stopScratchClusters(options: { remove?: boolean } = {}): Promise<string[]> {
    const acted: string[] = [];
    for (const c of this.scratchClusters()) {
      if (c.running) {
        this.log(`Stopping the scratch cluster ${c.name} (pid ${c.pid}).`);
        await this.localServer({ dataDir: c.dataDir, port: c.port ?? 0, logFile: path.join(this.scratchRoot, c.name, 'postgres.log'), name: `the scratch cluster ${c.name}` }).stop({ immediate: 20, kill: true });
      }
      if (options.remove) {
        rmSync(socketDirFor(path.join(this.scratchRoot, c.name, 'run')), { recursive: true, force: true });
        rmSync(path.join(this.scratchRoot, c.name), { recursive: true, force: true });
      }
      if (c.running || options.remove) acted.push(c.name);
    }
    return acted;
  }

  /** The running primary's archiver health (pg_stat_archiver and the files waiting in pg_wal). */
  async archiverHealth(): Promise<ArchiverHealth> {
    const [row] = await this.query('postgres', ARCHIVER_HEALTH_SQL);
    return archiverHealthFromRow(row ?? {}, this.paths.logFile);
  }

  /** Runs one SQL statement as the superuser through node-postgres and returns its rows. */
  async query(database: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.primary.query(database, sql, params);
  }

  private async replicaStatus(primaryRunning: boolean): Promise<ReplicaStatus> {
    const r = this.requireReplica();
    const rp = this.replicaPaths;
    const running = await this.isReplicaRunning();
    const role = existsSync(path.join(rp.dataDir, 'standby.signal')) ? 'standby' : 'promoted';
    const { receiveLsn, replayLsn } = running ? await standbyPositions((d, sql) => this.replicaQuery(d, sql)) : { receiveLsn: null, replayLsn: null };
    const stream = primaryRunning ? await replicationStream((d, sql, params) => this.query(d, sql, params), REPLICA_APPLICATION_NAME) : null;
    return { port: r.port, dataDir: rp.dataDir, logFile: rp.logFile, running, pid: running ? this.replicaPid() : undefined, role, receiveLsn, replayLsn, stream };
  }

  /** Runs one SQL text through psql as the superuser and returns its unaligned, tuples-only output. */
  async psql(database: string, sql: string): Promise<string> {
    return this.primary.psql(database, sql);
  }

  /** True when the lab's postmaster is running (asked of pg_ctl, as the server user). */
  async isRunning(): Promise<boolean> {
    if (!this.state || !existsSync(this.paths.dataDir)) return false;
    return this.primary.isRunning();
  }

  /** Starts the primary when it does not run (PgCluster): the data kept, as the lab recorded it. */
  async start(): Promise<void> {
    this.user = resolveServerUser(this.env);
    if (!(await this.isRunning())) await this.startServer();
  }

  /** Stops the primary cleanly (PgCluster; fast shutdown, immediate when that fails). */
  async stop(): Promise<void> {
    this.user = resolveServerUser(this.env);
    if (await this.isRunning()) await this.stopServer();
  }

  /**
   * Kills the primary's postmaster with SIGKILL (PgCluster), then its
   * orphaned backends once they had 10 s to notice (none may keep
   * acknowledging writes). Returns what it killed.
   */
  async kill(): Promise<string> {
    return this.primary.kill();
  }

  /** PID of the postmaster, from postmaster.pid. */
  postmasterPid(): number | undefined {
    return pidFromPidFile(this.paths.dataDir);
  }

  /** The replica's recorded place, or null when the lab has none. */
  get replica(): { port: number; dataDir: string; logFile: string } | null {
    const r = this.state?.replica;
    return r ? { port: r.port, ...this.replicaPaths } : null;
  }

  /** Paths of the replica's own files (its socket shares the primary's directory). */
  get replicaPaths(): LabReplicaPaths {
    return labReplicaPaths(this.requireState().serverRoot);
  }

  /** The replica as a StandbyCluster (DrillLab), or null when the lab has none. */
  get replicaCluster(): StandbyCluster | null {
    if (!this.state?.replica) return null;
    const endpoint = this.replicaEndpoint;
    return { endpoint, proxyUpstream: endpoint, adminUrl: (database) => this.replicaAdminUrl(database), query: (database, sql, params) => this.replicaQuery(database, sql, params) };
  }

  /** Starts a streaming replica when there is none (DrillLab), synchronous when asked. */
  async ensureReplica(options: { synchronous: boolean }): Promise<StandbyCluster> {
    await this.up('ephemeral', { replica: true });
    if (options.synchronous) await this.setSynchronousReplica(true);
    return this.replicaCluster!;
  }

  /** After a failover (DrillLab): the promoted replica adopted as the primary, else the old primary started again; commits no longer wait for a replica. */
  async restoreTopology(log: (line: string) => void): Promise<void> {
    const replica = this.replica;
    if (!(await this.isRunning())) {
      const promoted = replica && !existsSync(path.join(replica.dataDir, 'standby.signal')) && (await this.isReplicaRunning());
      if (promoted) {
        log("The promoted replica becomes the lab primary (the dead primary's data directory is removed).");
        await this.adoptPromotedReplica({ keepOld: false });
      } else {
        log('The replica was not promoted: starting the old primary again (crash recovery).');
        await this.ensurePrimaryRunning();
      }
    } else {
      // The drill may have made commits wait for the replica: never leave the lab depending on it.
      await this.setSynchronousReplica(false);
    }
  }

  /** The nightly base backup (DrillLab): a physical backup into the lab's backup store. */
  async takeBaseBackup(log: (line: string) => void): Promise<string> {
    const { backupLab } = await import('../backup/lab-backups.ts');
    const { manifest } = await backupLab(this, { databases: [], onProgress: (l) => log(`backup: ${l}`) });
    return `base backup ${manifest.id} taken (WAL from ${manifest.base?.startLsn})`;
  }

  /** The whole database lost (DrillLab): the postmaster killed, its data directory removed; archive and backups kept. */
  async loseDatabase(): Promise<string> {
    const { dataDir, archiveDir } = this.paths;
    // Orphaned backends are gone too before it returns: none may be alive when a new server starts.
    const killed = await this.kill();
    rmSync(dataDir, { recursive: true, force: true });
    const archived = archivedSegments(archiveDir);
    return `${killed}, ${dataDir} removed; last archived WAL segment ${archived.at(-1) ?? 'none'}`;
  }

  /** Whether the primary's data directory holds a cluster (DrillLab). */
  async dataPresent(): Promise<boolean> {
    return existsSync(path.join(this.paths.dataDir, 'PG_VERSION'));
  }

  /** The newest base backup restored into a side cluster, every archived segment replayed, adopted as the lab's data (DrillLab). */
  async restoreLatestBackup(log: (line: string) => void): Promise<string> {
    const { restoreSideCluster, switchLabTo } = await import('../restore/pitr.ts');
    const side = await restoreSideCluster(this, { kind: 'end' }, { name: 'database-lost-restore', log });
    const r = side.cluster.report!;
    const line = `recovered to ${r.endLsn} on timeline ${r.timeline}${r.lastTransactionAt ? `, last transaction at ${r.lastTransactionAt}` : ''}, in ${(r.totalMs / 1000).toFixed(1)} s`;
    await switchLabTo(this, side.cluster, { keepOld: true });
    return line;
  }

  /** Where the replica listens (direct). */
  get replicaEndpoint(): Endpoint {
    return { host: HOST, port: this.requireReplica().port };
  }

  /** Superuser connection URL to `database` on the replica (carries the password: never print unredacted). */
  replicaAdminUrl(database: string): string {
    const s = this.requireState();
    return `postgres://${s.superuser}:${encodeURIComponent(s.superuserPassword)}@${HOST}:${this.requireReplica().port}/${database}`;
  }

  /** Environment for libpq programs connecting to the replica as the lab's superuser. */
  replicaClientEnv(): NodeJS.ProcessEnv {
    return { ...this.clientEnv(), PGPORT: String(this.requireReplica().port) };
  }

  /** Runs SQL through psql on the replica as the superuser (unaligned, tuples only). */
  async replicaPsql(database: string, sql: string): Promise<string> {
    return this.replicaServer.psql(database, sql);
  }

  /** Runs one SQL statement on the replica as the superuser through node-postgres and returns its rows. */
  async replicaQuery(database: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.replicaServer.query(database, sql, params);
  }

  /** True when the replica's postmaster runs (asked of pg_ctl, as the server user). */
  async isReplicaRunning(): Promise<boolean> {
    if (!this.state?.replica || !existsSync(this.replicaPaths.dataDir)) return false;
    return this.replicaServer.isRunning();
  }

  /** PID of the replica's postmaster, when it has a postmaster.pid. */
  replicaPid(): number | undefined {
    return this.state?.replica ? pidFromPidFile(this.replicaPaths.dataDir) : undefined;
  }

  /**
   * Makes the primary wait for the replica at every commit
   * (`synchronous_standby_names` naming it, `synchronous_commit = on`):
   * a write is acknowledged only once the replica has flushed it, so a
   * failover loses nothing acknowledged. Written into pgdrill.conf and
   * reloaded, never persisted: the next start of the server forgets it, so
   * a lab is never left waiting for a replica that is gone. With `on`,
   * waits until the primary reports the replica as `sync`.
   */
  async setSynchronousReplica(on: boolean, timeoutMs = 15_000): Promise<void> {
    const release = await lockLabDir(this.labDir);
    try {
      if (on) this.requireReplica();
      this.writeServerConfig(on ? { synchronous_standby_names: REPLICA_APPLICATION_NAME, synchronous_commit: 'on' } : {});
      await this.query('postgres', 'SELECT pg_reload_conf()');
    } finally {
      release();
    }
    if (!on) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await this.query('postgres', 'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1', [REPLICA_APPLICATION_NAME]);
      const state = typeof row?.sync_state === 'string' ? row.sync_state : '';
      if (state === 'sync') return;
      if (Date.now() > deadline) {
        throw new UserError(`The replica did not become synchronous within ${Math.round(timeoutMs / 1000)} s (the primary reports it as "${state || 'not streaming'}").`, `Read the replica's log (${this.replicaPaths.logFile}) and \`pgdrill lab status\`.`);
      }
      await sleep(100);
    }
  }

  /**
   * After a failover: makes the promoted replica the lab's primary. The old
   * primary must be down (it was lost); its data directory is kept aside
   * (`keepOld`, returned) or removed, the replica's data directory moves into
   * the primary's place and starts on the lab's port with the lab's
   * settings (archiving into the lab's archive), and the lab no longer has
   * a replica (`lab up --replica` makes a new one from the new primary).
   */
  async adoptPromotedReplica(options: { keepOld?: boolean } = {}): Promise<{ oldDataDir: string | null }> {
    const release = await lockLabDir(this.labDir);
    try {
      const state = this.requireState();
      this.requireReplica();
      const rp = this.replicaPaths;
      if (existsSync(path.join(rp.dataDir, 'standby.signal'))) {
        throw new UserError('The lab\'s replica is still a standby: promote it before making it the primary.', 'Promote it (SELECT pg_promote() on the replica, or the primary-failover runbook), then try again.');
      }
      if (await this.isRunning()) {
        throw new UserError(`The lab's old primary still runs (pid ${this.postmasterPid()}): two primaries would diverge.`, 'Stop the old primary (`pg_ctl stop -D <data directory>`) before making the promoted replica the lab\'s primary.');
      }
      if (await this.isReplicaRunning()) await this.replicaServer.stop();
      state.replica = null;
      writeLabState(state);
      // The old primary's stale postmaster.pid goes with its data directory.
      return await this.adoptLocked(rp.dataDir, options);
    } finally {
      release();
    }
  }

  /** Starts the lab's primary again when it is not running (after a crash), keeping its owner. */
  async ensurePrimaryRunning(): Promise<boolean> {
    const release = await lockLabDir(this.labDir);
    try {
      this.requireState();
      if (await this.isRunning()) return false;
      await this.startServer();
      return true;
    } finally {
      release();
    }
  }

  /**
   * Makes another cluster's data directory the lab's (a side cluster
   * restored by PITR, a promoted replica): stops the lab's server if it
   * runs, moves the old data directory aside (`keepOld`, returned) or
   * removes it, moves `newDataDir` into place (same filesystem), owned by
   * the server user with mode 0700, copies its timeline history files into
   * the WAL archive (a later PITR must be able to follow the new timeline)
   * and starts the server on the lab's port with the lab's settings.
   */
  async adoptDataDir(newDataDir: string, options: { keepOld?: boolean } = {}): Promise<{ oldDataDir: string | null }> {
    const release = await lockLabDir(this.labDir);
    try {
      const state = this.requireState();
      if (state.replica) {
        // The replica followed the cluster being replaced; it cannot follow the adopted one's history.
        if (await this.isReplicaRunning()) await this.replicaServer.stop();
        rmSync(this.replicaPaths.dataDir, { recursive: true, force: true });
        state.replica = null;
        writeLabState(state);
        this.log('The replica followed the replaced cluster and was removed; `pgdrill lab up --replica` makes a new one.');
      }
      return await this.adoptLocked(newDataDir, options);
    } finally {
      release();
    }
  }

  private async adoptLocked(newDataDir: string, options: { keepOld?: boolean }): Promise<{ oldDataDir: string | null }> {
    const state = this.requireState();
    if (await this.isRunning()) await this.stopServer();
    const oldDataDir = installDataDir(newDataDir, this.paths, this.serverUser(), options.keepOld === true);
    state.owner ??= { pid: process.pid, mode: 'persistent' };
    writeLabState(state);
    await this.startServer();
    writeLabState(state);
    return { oldDataDir };
  }

  private requireState(): LabState {
    if (!this.state) throw new UserError(`There is no lab in ${this.labDir}.`, 'Run `pgdrill lab up` first.');
    return this.state;
  }

  private requireReplica(): NonNullable<LabState['replica']> {
    const r = this.requireState().replica;
    if (!r) throw new UserError(`The lab in ${this.labDir} has no replica.`, 'Create one with `pgdrill lab up --replica`.');
    return r;
  }

  private registerSecrets(state: LabState): void {
    registerSecret(state.superuserPassword);
    for (const password of Object.values(state.servicePasswords)) registerSecret(password);
  }

  private serverUser(): ServerUser {
    this.user ??= resolveServerUser(this.env);
    return this.user;
  }

  /** The lab's primary server (its port as recorded now). */
  private get primary(): LocalServer {
    const { dataDir, logFile } = this.paths;
    const client = { config: (database: string) => ({ connectionString: this.adminUrl(database), connectionTimeoutMillis: 5000 }), env: () => this.clientEnv() };
    return this.localServer({ dataDir, port: this.requireState().port, logFile, name: 'the lab', client });
  }

  /** The lab's replica server (its socket shares the primary's directory). */
  private get replicaServer(): LocalServer {
    const { dataDir, logFile } = this.replicaPaths;
    const client = { config: (database: string) => ({ connectionString: this.replicaAdminUrl(database), connectionTimeoutMillis: 5000 }), env: () => this.replicaClientEnv() };
    return this.localServer({ dataDir, port: this.requireReplica().port, logFile, name: "the lab's replica", client });
  }

  private localServer(server: Pick<LocalServerOptions, 'dataDir' | 'port' | 'logFile' | 'name' | 'client'>): LocalServer {
    return new LocalServer({ ...server, binaries: this.pg(), user: this.serverUser(), socketDir: this.paths.socketDir, env: this.env });
  }

  /** `port` when no other program listens on it, else a new free port (said in the log: `who` moves there). */
  private async portOrFree(port: number, who: string): Promise<number> {
    if (await isPortFree(port, HOST)) return port;
    const moved = await freePort(HOST);
    this.log(`Port ${port} is taken by another program; ${who} moves to port ${moved}.`);
    return moved;
  }

  private chownToServer(target: string): void {
    chownToServer(this.serverUser(), target);
  }

  private async create(): Promise<void> {
    const pg = this.pg();
    ensureDir(this.labDir, LAB_DIR_ROLE);
    const serverRoot = chooseServerRoot(this.labDir, this.serverUser(), this.log);
    // Known before initdb runs, so that a failed creation is still purged by `down`.
    const state = (this.state = newLabState(this.labDir, serverRoot, pg, await freePort(HOST)));
    this.registerSecrets(state);
    await initLabCluster(state, pg, this.serverUser(), { log: this.log, env: this.env });
    writeLabState(state);
  }

  /** The settings every lab server runs with (the primary, and the replica on its own port). */
  private serverSettings(port: number): Record<string, string | number> {
    const p = this.paths;
    return {
      listen_addresses: HOST,
      port,
      unix_socket_directories: p.socketDir,
      ...SEED_SERVER_SETTINGS,
      // Accepts a file the archive already holds with identical contents (a failover or crash re-archives), refuses a different one.
      archive_command: archiveCommand(this.archiveScriptPath(), p.archiveDir),
      ...(this.requireState().ssl ? labSslSettings(this.requireState().serverRoot) : {}),
    };
  }

  /** Where the lab's archive script is installed (under the server root, where the server's account can run it). */
  private archiveScriptPath(): string {
    return path.join(this.requireState().serverRoot, 'bin', 'archive-wal');
  }

  private writeServerConfig(extra: Record<string, string | number> = {}): void {
    installArchiveScript(this.requireState().serverRoot, (t) => this.chownToServer(t));
    if (this.requireState().ssl) ensureSslHba(this.paths.dataDir, SERVICE_ROLES);
    this.primary.writeConfig({ ...this.serverSettings(this.requireState().port), ...extra });
  }

  private writeReplicaConfig(): void {
    const s = this.requireState();
    const r = this.requireReplica();
    const rp = this.replicaPaths;
    installArchiveScript(s.serverRoot, (t) => this.chownToServer(t));
    if (s.ssl) ensureSslHba(rp.dataDir, SERVICE_ROLES);
    this.replicaServer.writeConfig({
      ...this.serverSettings(r.port),
      primary_conninfo: `host=${HOST} port=${s.port} user=${s.superuser} passfile=${rp.passFile} application_name=${REPLICA_APPLICATION_NAME} connect_timeout=5`,
      hot_standby_feedback: 'on',
      wal_receiver_status_interval: '1s',
    });
  }

  /**
   * Creates the streaming replica: a copy of the running primary (see
   * `cloneReplica`) in `<serverRoot>/replica`, started as a hot standby on its
   * own free loopback port, `primary_conninfo` naming the password file.
   */
  private async createReplica(): Promise<void> {
    const state = this.requireState();
    await cloneReplica(state, state.port, this.pg(), this.serverUser(), this.log);
    state.replica = { port: await freePort(HOST), createdAt: new Date().toISOString() };
    writeLabState(state);
    await this.startReplica();
  }

  private async startReplica(): Promise<void> {
    const s = this.requireState();
    const r = this.requireReplica();
    const rp = this.replicaPaths;
    if (!existsSync(path.join(rp.dataDir, 'PG_VERSION'))) {
      throw new UserError(`The lab's replica has no data directory (${rp.dataDir} is missing or empty).`, 'Run `pgdrill lab down --purge` and `pgdrill lab up --replica` to recreate the lab, or remove the replica entry by recreating the lab.');
    }
    const port = await this.portOrFree(r.port, 'the replica');
    if (port !== r.port) {
      r.port = port;
      writeLabState(s);
    }
    this.writeReplicaConfig();
    this.log(`Starting the replica on ${HOST}:${r.port}.`);
    await this.replicaServer.start({ failure: { headline: "The lab's replica did not start", advice: 'Read the replica log named above; `pgdrill lab down --purge` then `pgdrill lab up --replica` recreates the lab.' } });
  }

  private async stopReplica(): Promise<void> {
    if (!this.state?.replica || !(await this.isReplicaRunning())) return;
    this.log('Stopping the replica.');
    await this.replicaServer.stop();
  }

  private async startServer(): Promise<void> {
    const s = this.requireState();
    s.port = await this.portOrFree(s.port, 'the lab');
    this.writeServerConfig();
    this.log(`Starting PostgreSQL on ${HOST}:${s.port}.`);
    await this.primary.start({ failure: { headline: `PostgreSQL did not start for the lab in ${this.labDir}`, advice: 'Read the server log named above; `pgdrill lab down --purge` recreates the lab from scratch.' } });
    // Whenever the lab's primary starts (a new port, a promoted replica adopted), PgBouncer follows it.
    if (s.pooler && (s.pooler.upstream.host !== HOST || s.pooler.upstream.port !== s.port)) {
      this.log(`PgBouncer now sends its server connections to the lab's primary on ${HOST}:${s.port}.`);
      await this.pooler!.setUpstream({ host: HOST, port: s.port });
    }
  }

  private async stopServer(): Promise<void> {
    this.log('Stopping PostgreSQL.');
    await this.primary.stop();
  }
}

/** The default lab directory for a working directory. */
export function defaultLabDir(cwd = process.cwd()): string {
  return path.join(cwd, '.pgdrill');
}
