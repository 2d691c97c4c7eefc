import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, renameSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError, UserError } from '../core/errors.ts';
import { SERVICE_DATABASES, type Endpoint, type ServiceName, type Target } from '../core/target.ts';
import { isProcessAlive } from '../util/process-alive.ts';
import { registerSecret } from '../util/redact.ts';
import { runCommand } from '../util/run-command.ts';
import { loadFixtures } from './fixtures.ts';
import { freePort, isPortFree } from './free-port.ts';
import { generatePassword, readLabState, writeLabState, type LabOwner, type LabState } from './lab-state.ts';
import { findPgBinaries, type PgBinaries } from './pg-binaries.ts';
import { resolveServerUser, type ServerUser } from './server-user.ts';

/** Where a lab lives and how to talk about it. */
export interface LabOptions {
  /** The lab directory; default `.pgdrill` under the current directory. */
  labDir?: string;
  /** Receives one line per notable action (start, stop, reap). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

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
  /** WAL segments in the archive (a check that archiving works). */
  archivedWalFiles: number;
  /** Connections by state from pg_stat_activity, when running. */
  connections: Record<string, number>;
}

const HOST = '127.0.0.1';


function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

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
export class Lab implements Target {
  readonly kind = 'lab' as const;
  readonly isLab = true;
  readonly labDir: string;
  private readonly log: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  private binaries: PgBinaries | undefined;
  private user: ServerUser | undefined;
  private state: LabState | undefined;

  constructor(options: LabOptions = {}) {
    this.labDir = path.resolve(options.labDir ?? path.join(process.cwd(), '.pgdrill'));
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

  /** Paths of the server's own files. */
  get paths(): { dataDir: string; archiveDir: string; socketDir: string; logFile: string } {
    const root = this.requireState().serverRoot;
    return {
      dataDir: path.join(root, 'data'),
      archiveDir: path.join(root, 'wal-archive'),
      socketDir: path.join(root, 'run'),
      logFile: path.join(root, 'log', 'postgres.log'),
    };
  }

  /** The PostgreSQL binaries the lab uses. */
  pg(): PgBinaries {
    this.binaries ??= findPgBinaries(this.env);
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
    return `postgres://${role}:${encodeURIComponent(password)}@${at.host}:${at.port}/${database}`;
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

  /** The recorded owner of the running server, if any. */
  get owner(): LabOwner | null {
    return this.state?.owner ?? null;
  }

  /**
   * Brings the lab up: creates the cluster on first use, reaps a server left
   * by a killed pgdrill, starts the server when it is not running and loads
   * the fixtures once. `mode` records who owns the server: `persistent` for
   * `lab up`, `ephemeral` for a drill that will stop it. Returns whether this
   * call started the server.
   */
  async up(mode: LabOwner['mode'] = 'persistent'): Promise<{ started: boolean }> {
    const release = await this.lock();
    try {
      this.pg();
      this.user = resolveServerUser(this.env);
      if (!this.state) await this.create();
      const state = this.requireState();
      let running = await this.isRunning();
      if (running && state.owner?.mode === 'ephemeral' && state.owner.pid !== process.pid && !isProcessAlive(state.owner.pid)) {
        this.log(`Reaping a lab server left running by pgdrill process ${state.owner.pid}, which is gone.`);
        await this.stopServer();
        running = false;
      } else if (running && state.owner?.mode === 'ephemeral' && state.owner.pid !== process.pid && mode === 'ephemeral') {
        throw new UserError(
          `Another pgdrill process (pid ${state.owner.pid}) is running a drill on the lab in ${this.labDir}.`,
          'Wait for it to finish, or give this run its own lab with --lab-dir.',
        );
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
      return { started };
    } finally {
      release();
    }
  }

  /** Stops the server (fast shutdown). With `purge`, also removes every file of the lab. */
  async down(options: { purge?: boolean } = {}): Promise<{ stopped: boolean }> {
    const release = await this.lock();
    let stopped = false;
    try {
      if (this.state) {
        this.user = resolveServerUser(this.env);
        if (await this.isRunning()) {
          await this.stopServer();
          stopped = true;
        }
        this.state.owner = null;
        if (!options.purge) writeLabState(this.state);
      }
      if (options.purge) {
        if (this.state) rmSync(this.state.serverRoot, { recursive: true, force: true });
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
      return { labDir: this.labDir, exists: false, running: false, pid: undefined, port: undefined, dataDir: undefined, archiveDir: undefined, logFile: undefined, owner: null, pgMajor: undefined, archivedWalFiles: 0, connections: {} };
    }
    this.user = resolveServerUser(this.env);
    const running = await this.isRunning();
    const p = this.paths;
    let archivedWalFiles = 0;
    try {
      archivedWalFiles = readdirSync(p.archiveDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
    } catch {
      // no archive yet
    }
    const connections: Record<string, number> = {};
    if (running) {
      const out = await this.psql('postgres', "SELECT coalesce(state, backend_type), count(*) FROM pg_stat_activity GROUP BY 1 ORDER BY 1");
      for (const line of out.trim().split('\n').filter(Boolean)) {
        const [state, count] = line.split('|');
        if (state) connections[state] = Number(count);
      }
    }
    return { labDir: this.labDir, exists: true, running, pid: running ? this.postmasterPid() : undefined, port: s.port, dataDir: p.dataDir, archiveDir: p.archiveDir, logFile: p.logFile, owner: s.owner, pgMajor: s.pgMajor, archivedWalFiles, connections };
  }

  /** Runs one SQL text through psql as the superuser and returns its unaligned, tuples-only output. */
  async psql(database: string, sql: string): Promise<string> {
    const out = await runCommand(this.pg().bin('psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-d', database], { env: this.clientEnv(), input: sql, timeoutMs: 60_000 });
    return out.stdout;
  }

  /** True when the lab's postmaster is running (asked of pg_ctl, as the server user). */
  async isRunning(): Promise<boolean> {
    if (!this.state || !existsSync(this.paths.dataDir)) return false;
    try {
      await this.asServer(this.pg().bin('pg_ctl'), ['status', '-D', this.paths.dataDir], 15_000);
      return true;
    } catch (error) {
      if (error instanceof CommandError && error.exitCode === 3) return false;
      if (error instanceof CommandError && error.exitCode === 4) return false;
      throw error;
    }
  }

  /** PID of the postmaster, from postmaster.pid. */
  postmasterPid(): number | undefined {
    try {
      const first = readFileSync(path.join(this.paths.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
      const pid = Number(first);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
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
    const release = await this.lock();
    try {
      const state = this.requireState();
      const p = this.paths;
      if (await this.isRunning()) await this.stopServer();
      let oldDataDir: string | null = null;
      if (existsSync(p.dataDir)) {
        if (options.keepOld) {
          oldDataDir = `${p.dataDir}.replaced-${new Date().toISOString().replace(/[-:.]/g, '')}`;
          renameSync(p.dataDir, oldDataDir);
        } else {
          rmSync(p.dataDir, { recursive: true, force: true });
        }
      }
      renameSync(newDataDir, p.dataDir);
      chmodSync(p.dataDir, 0o700);
      this.chownToServer(p.dataDir);
      const walDir = path.join(p.dataDir, 'pg_wal');
      for (const f of readdirSync(walDir).filter((n) => /^[0-9A-F]{8}\.history$/.test(n))) {
        const to = path.join(p.archiveDir, f);
        if (!existsSync(to)) {
          copyFileSync(path.join(walDir, f), to);
          this.chownToServer(to);
        }
      }
      state.owner ??= { pid: process.pid, mode: 'persistent' };
      writeLabState(state);
      await this.startServer();
      writeLabState(state);
      return { oldDataDir };
    } finally {
      release();
    }
  }

  private requireState(): LabState {
    if (!this.state) throw new UserError(`There is no lab in ${this.labDir}.`, 'Run `pgdrill lab up` first.');
    return this.state;
  }

  private registerSecrets(state: LabState): void {
    registerSecret(state.superuserPassword);
    for (const password of Object.values(state.servicePasswords)) registerSecret(password);
  }

  private serverUser(): ServerUser {
    this.user ??= resolveServerUser(this.env);
    return this.user;
  }

  private asServer(file: string, args: string[], timeoutMs = 120_000, input?: string) {
    const user = this.serverUser();
    const env: NodeJS.ProcessEnv = { PATH: this.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    if (user.switchFromRoot) env.HOME = '/tmp';
    else if (this.env.HOME) env.HOME = this.env.HOME;
    return runCommand(file, args, { uid: user.switchFromRoot ? user.uid : undefined, gid: user.switchFromRoot ? user.gid : undefined, env, timeoutMs, input, cwd: '/' });
  }

  /** Can the server user enter and write `dir`? (As root, every parent must be open to it.) */
  private serverCanUse(dir: string): boolean {
    const user = this.serverUser();
    if (!user.switchFromRoot) return true;
    const result = spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid });
    return result.status === 0;
  }

  private chownToServer(target: string): void {
    const user = this.serverUser();
    if (user.switchFromRoot) chownSync(target, user.uid, user.gid);
  }

  private async create(): Promise<void> {
    const pg = this.pg();
    if (pg.major < 12) throw new UserError(`PostgreSQL ${pg.major} in ${pg.bindir} is too old for pgdrill's lab.`, 'Install PostgreSQL 12 or newer and point PG_BIN at it.');
    mkdirSync(this.labDir, { recursive: true });
    let serverRoot = path.join(this.labDir, 'server');
    if (!this.serverCanUse(this.labDir)) {
      const digest = createHash('sha256').update(this.labDir).digest('hex').slice(0, 12);
      serverRoot = path.join('/var/tmp', `pgdrill-lab-${digest}`);
      this.log(
        `The lab directory ${this.labDir} cannot be entered by the account "${this.serverUser().name}" that runs PostgreSQL (a parent directory is closed to other users), so the server's files go to ${serverRoot}.`,
      );
    }
    const port = await freePort(HOST);
    const state: LabState = {
      version: 1,
      labDir: this.labDir,
      serverRoot,
      port,
      superuser: 'pgdrill',
      superuserPassword: generatePassword(),
      servicePasswords: Object.fromEntries(Object.values(SERVICE_DATABASES).map((s) => [s.role, generatePassword()])),
      pgMajor: pg.major,
      bindir: pg.bindir,
      fixturesLoaded: false,
      owner: null,
      createdAt: new Date().toISOString(),
    };
    this.state = state;
    this.registerSecrets(state);
    const p = this.paths;
    for (const dir of [serverRoot, p.archiveDir, p.socketDir, path.dirname(p.logFile)]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.chownToServer(dir);
    }
    const pwfile = path.join(serverRoot, '.pwfile');
    writeFileSync(pwfile, `${state.superuserPassword}\n`, { mode: 0o600 });
    this.chownToServer(pwfile);
    this.log(`Creating a PostgreSQL ${pg.major} cluster with data checksums in ${p.dataDir}.`);
    try {
      await this.asServer(pg.bin('initdb'), [
        '-D', p.dataDir, '--data-checksums', '-U', state.superuser, `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync',
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
    const conf = path.join(p.dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\ninclude_if_exists = 'pgdrill.conf'\n`);
    writeLabState(state);
  }

  private writeServerConfig(): void {
    const s = this.requireState();
    const p = this.paths;
    const archiveCommand = `test ! -f "${p.archiveDir}/%f" && cp "%p" "${p.archiveDir}/%f.tmp" && mv "${p.archiveDir}/%f.tmp" "${p.archiveDir}/%f"`;
    const settings: Record<string, string | number> = {
      listen_addresses: HOST,
      port: s.port,
      unix_socket_directories: p.socketDir,
      max_connections: 100,
      superuser_reserved_connections: 3,
      statement_timeout: '30s',
      idle_in_transaction_session_timeout: '30s',
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: archiveCommand,
      archive_timeout: '60s',
      max_wal_senders: 10,
      wal_keep_size: '256MB',
      hot_standby: 'on',
      log_line_prefix: '%m [%p] %q%u@%d ',
      log_min_messages: 'warning',
    };
    const body = Object.entries(settings)
      .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : sqlLiteral(v)}`)
      .join('\n');
    const file = path.join(p.dataDir, 'pgdrill.conf');
    writeFileSync(file, `# Written by pgdrill at every start; edits are overwritten.\n${body}\n`, { mode: 0o600 });
    this.chownToServer(file);
  }

  private async startServer(): Promise<void> {
    const s = this.requireState();
    if (!(await isPortFree(s.port, HOST))) {
      const port = await freePort(HOST);
      this.log(`Port ${s.port} is taken by another program; the lab moves to port ${port}.`);
      s.port = port;
    }
    this.writeServerConfig();
    const p = this.paths;
    this.log(`Starting PostgreSQL on ${HOST}:${s.port}.`);
    try {
      await this.asServer(this.pg().bin('pg_ctl'), ['start', '-D', p.dataDir, '-l', p.logFile, '-w', '-t', '60', '-s']);
    } catch (error) {
      let tail = '';
      try {
        tail = readFileSync(p.logFile, 'utf8').split('\n').slice(-8).join('\n');
      } catch {
        // no log
      }
      throw new UserError(
        `PostgreSQL did not start for the lab in ${this.labDir}: ${error instanceof Error ? error.message : String(error)}${tail ? `\nLast lines of ${p.logFile}:\n${tail}` : ''}`,
        'Read the server log named above; `pgdrill lab down --purge` recreates the lab from scratch.',
      );
    }
  }

  private async stopServer(): Promise<void> {
    const pgCtl = this.pg().bin('pg_ctl');
    this.log('Stopping PostgreSQL.');
    try {
      await this.asServer(pgCtl, ['stop', '-D', this.paths.dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
    } catch {
      await this.asServer(pgCtl, ['stop', '-D', this.paths.dataDir, '-m', 'immediate', '-w', '-t', '30', '-s']);
    }
  }

  /** A cross-process lock on the lab directory, so two pgdrill processes never start two servers. */
  private async lock(): Promise<() => void> {
    mkdirSync(this.labDir, { recursive: true });
    const file = path.join(this.labDir, 'lab.lock');
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const fd = openSync(file, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return () => {
          try {
            unlinkSync(file);
          } catch {
            // already removed
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        let holder = NaN;
        try {
          holder = Number(readFileSync(file, 'utf8'));
        } catch {
          continue;
        }
        if (!Number.isInteger(holder) || !isProcessAlive(holder) || holder === process.pid) {
          rmSync(file, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new UserError(`The lab in ${this.labDir} is locked by pgdrill process ${holder}.`, 'Wait for that process to finish, or stop it.');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** The default lab directory for a working directory. */
export function defaultLabDir(cwd = process.cwd()): string {
  return path.join(cwd, '.pgdrill');
}
