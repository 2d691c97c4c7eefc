import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_DATABASES, type Endpoint } from '../core/target.ts';
import { UserError, errorMessage } from '../core/errors.ts';
import type { Rows } from '../core/runbook.ts';
import { adminCommand, parsePools, type PoolRow, type PoolerConsole } from '../pooler/admin-console.ts';
import { isProcessAlive } from '../util/process-alive.ts';
import { sleep } from '../util/sleep.ts';
import { findPgBouncer } from './pgbouncer-binary.ts';
import type { ServerUser } from './server-user.ts';

/**
 * Pool sizes from the seed (section 4): each service's database gets 5
 * server connections (the seed's per-service share), 20 in all (the seed's
 * "PgBouncer: 20 connections"), out of max_connections 100; clients may be
 * many more (`max_client_conn` far above max_connections).
 */
export const POOLER_SETTINGS = {
  poolMode: 'transaction',
  poolSizePerDatabase: 5,
  maxClientConn: 1000,
} as const;

/** What `lab status` shows of PgBouncer. */
export interface PoolerStatus {
  running: boolean;
  pid: number | undefined;
  port: number;
  /** Where PgBouncer sends server connections (the lab's primary, or a promoted replica after a failover). */
  upstream: Endpoint;
  configFile: string;
  logFile: string;
  /** `SHOW POOLS`, when it runs and answers. */
  pools: PoolRow[];
  /** Why `pools` is empty while it runs (the console did not answer). */
  problem: string | null;
}

/** What the pooler needs from its lab (kept small so the pooler does not reach into the lab's internals). */
export interface PoolerHost {
  /** The pooler's directory (owned by the server user). */
  dir: string;
  /** Its port and upstream as the lab's state records them now (they change: a taken port, a failover). */
  port(): number;
  upstream(): Endpoint;
  superuser: string;
  superuserPassword: string;
  serverUser: ServerUser;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Runs one query as the superuser directly on the lab's primary. */
  query(database: string, sql: string, params?: unknown[]): Promise<Rows>;
  /** Records a new upstream in the lab's state (after `setUpstream`). */
  saveUpstream(upstream: Endpoint): void;
}

const HOST = '127.0.0.1';

function quoteIni(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quoteUserlist(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** The command line of a process, from /proc (empty when unknown). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * The lab's PgBouncer: the machine's own binary, run as the server's
 * unprivileged account, daemonized (it outlives a `lab up` like the
 * server does), on a free loopback port, in transaction mode with the
 * seed's pool sizes, in front of the four service databases. Clients and
 * PgBouncer authenticate with SCRAM: the auth file (mode 0600, owned by the
 * server user) holds the roles' SCRAM secrets read from pg_authid, never a
 * plain password; PgBouncer reuses them to log in to the server. The lab's
 * superuser is its admin user: the admin console (database `pgbouncer`)
 * answers SHOW, PAUSE, RESUME, RELOAD, RECONNECT.
 */
export class LabPooler implements PoolerConsole {
  constructor(private readonly host: PoolerHost) {}

  /** Where PgBouncer listens (clients connect here). */
  get endpoint(): Endpoint {
    return { host: HOST, port: this.host.port() };
  }

  /** Where PgBouncer sends its server connections. */
  get upstream(): Endpoint {
    return this.host.upstream();
  }

  /** PgBouncer's own files. */
  get files(): { dir: string; configFile: string; authFile: string; pidFile: string; logFile: string } {
    const dir = this.host.dir;
    return { dir, configFile: path.join(dir, 'pgbouncer.ini'), authFile: path.join(dir, 'userlist.txt'), pidFile: path.join(dir, 'pgbouncer.pid'), logFile: path.join(dir, 'pgbouncer.log') };
  }

  /** The admin console's URL, as the lab's superuser (carries the password: never print unredacted). */
  adminUrl(): string {
    return `postgres://${encodeURIComponent(this.host.superuser)}:${encodeURIComponent(this.host.superuserPassword)}@${HOST}:${this.host.port()}/pgbouncer`;
  }

  /** Runs one admin console command (SHOW POOLS, PAUSE db, RESUME db, RELOAD, ...). */
  admin(command: string): Promise<Rows> {
    return adminCommand(this.adminUrl(), command);
  }

  /** `SHOW POOLS`, parsed. */
  async pools(): Promise<PoolRow[]> {
    return parsePools(await this.admin('SHOW POOLS'));
  }

  /** PgBouncer's pid while it runs (from its pid file, checked against the process's command line). */
  pid(): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.files.pidFile, 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined;
    const cmd = commandLine(pid);
    return cmd === '' || cmd.includes(this.files.configFile) ? pid : undefined;
  }

  isRunning(): boolean {
    return this.pid() !== undefined;
  }

  /** What `lab status` shows. */
  async status(): Promise<PoolerStatus> {
    const pid = this.pid();
    let pools: PoolRow[] = [];
    let problem: string | null = null;
    if (pid !== undefined) {
      try {
        pools = await this.pools();
      } catch (error) {
        problem = `the admin console did not answer: ${errorMessage(error)}`;
      }
    }
    return { running: pid !== undefined, pid, port: this.host.port(), upstream: this.upstream, configFile: this.files.configFile, logFile: this.files.logFile, pools, problem };
  }

  /**
   * Starts PgBouncer when it is not running: writes its auth file (SCRAM
   * secrets from pg_authid, when the server answers) and configuration,
   * starts it as a daemon and waits until its admin console answers.
   * Returns false when it was already running.
   */
  async start(): Promise<boolean> {
    if (this.isRunning()) return false;
    const binary = findPgBouncer(this.host.env);
    const f = this.files;
    mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    this.chown(f.dir);
    await this.writeAuthFile();
    this.writeConfig();
    rmSync(f.pidFile, { force: true });
    this.host.log(`Starting PgBouncer on ${HOST}:${this.host.port()} (transaction pooling, ${POOLER_SETTINGS.poolSizePerDatabase} server connections per database).`);
    await this.runDaemon(binary);
    const deadline = Date.now() + 15_000;
    let last = '';
    for (;;) {
      if (this.isRunning()) {
        try {
          await this.admin('SHOW VERSION');
          return true;
        } catch (error) {
          last = errorMessage(error);
        }
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new UserError(`PgBouncer did not answer on ${HOST}:${this.host.port()} within 15 s (${last || 'no process'}).${this.logTail()}`, `Read ${f.logFile}; \`pgdrill lab down\` then \`pgdrill lab up --pooler\` starts it again.`);
      }
      await sleep(50);
    }
  }

  /** Stops PgBouncer (SIGTERM, then SIGKILL after 5 s); idempotent. Returns whether it was running. */
  async stop(): Promise<boolean> {
    const pid = this.pid();
    if (pid === undefined) {
      rmSync(this.files.pidFile, { force: true });
      return false;
    }
    this.host.log(`Stopping PgBouncer (pid ${pid}).`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    const deadline = Date.now() + 5000;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(25);
    if (isProcessAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      const killDeadline = Date.now() + 5000;
      while (isProcessAlive(pid) && Date.now() < killDeadline) await sleep(25);
    }
    rmSync(this.files.pidFile, { force: true });
    return true;
  }

  /**
   * Points PgBouncer at another server (a promoted replica, the lab's
   * primary again): rewrites the [databases] section and sends RELOAD on
   * the admin console when it runs. PgBouncer opens new server connections
   * to the new address; connections to the old one are closed when they
   * are next released.
   */
  async setUpstream(upstream: Endpoint): Promise<void> {
    this.host.saveUpstream(upstream);
    this.writeConfig();
    if (this.isRunning()) await this.admin('RELOAD');
  }

  private chown(target: string): void {
    const u = this.host.serverUser;
    if (u.switchFromRoot) chownSync(target, u.uid, u.gid);
  }

  /** The auth file: each role's SCRAM secret as PostgreSQL stores it; a file of a previous start is kept when the server does not answer. */
  private async writeAuthFile(): Promise<void> {
    const roles = [this.host.superuser, ...Object.values(SERVICE_DATABASES).map((s) => s.role)];
    let rows: Rows;
    try {
      rows = await this.host.query('postgres', 'SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname', [roles]);
    } catch (error) {
      if (existsSync(this.files.authFile)) {
        this.host.log(`PgBouncer keeps its auth file: the server did not answer (${errorMessage(error)}).`);
        return;
      }
      throw new UserError(`PgBouncer's auth file needs the roles' SCRAM secrets from the lab's server, which did not answer: ${errorMessage(error)}`, 'Start the lab first (`pgdrill lab up`), then add --pooler.');
    }
    const lines = rows.map((r) => {
      const secret = String(r.rolpassword ?? '');
      if (!secret.startsWith('SCRAM-SHA-256$')) throw new UserError(`The role ${String(r.rolname)} has no SCRAM-SHA-256 password in the lab, so PgBouncer cannot authenticate it.`, 'Recreate the lab (`pgdrill lab down --purge`, `pgdrill lab up --pooler`).');
      return `${quoteUserlist(String(r.rolname))} ${quoteUserlist(secret)}`;
    });
    writeFileSync(this.files.authFile, `${lines.join('\n')}\n`, { mode: 0o600 });
    this.chown(this.files.authFile);
  }

  private writeConfig(): void {
    const f = this.files;
    const up = this.host.upstream();
    const databases = Object.values(SERVICE_DATABASES).map(
      (s) => `${s.database} = host=${up.host} port=${up.port} dbname=${s.database} pool_size=${POOLER_SETTINGS.poolSizePerDatabase} max_db_connections=${POOLER_SETTINGS.poolSizePerDatabase}`,
    );
    const settings: Record<string, string | number> = {
      listen_addr: HOST,
      listen_port: this.host.port(),
      unix_socket_dir: '',
      pidfile: f.pidFile,
      logfile: f.logFile,
      auth_type: 'scram-sha-256',
      auth_file: f.authFile,
      admin_users: this.host.superuser,
      stats_users: this.host.superuser,
      pool_mode: POOLER_SETTINGS.poolMode,
      max_client_conn: POOLER_SETTINGS.maxClientConn,
      default_pool_size: POOLER_SETTINGS.poolSizePerDatabase,
      reserve_pool_size: 0,
      // Startup parameters PgBouncer cannot carry across transactions: pg's extra_float_digits, and a
      // startup statement_timeout (the server's own statement_timeout applies instead).
      ignore_startup_parameters: 'extra_float_digits,statement_timeout',
      // A failed login to the server is retried after 1 s (default 15 s), so a repointed pool recovers at once.
      server_login_retry: 1,
      query_wait_timeout: 30,
      server_connect_timeout: 5,
      log_connections: 0,
      log_disconnections: 0,
    };
    const body = Object.entries(settings).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : v === '' ? '' : quoteIniBare(v)}`);
    const text = `; Written by pgdrill at every start; edits are overwritten.\n[databases]\n${databases.join('\n')}\n\n[pgbouncer]\n${body.join('\n')}\n`;
    writeFileSync(f.configFile, text, { mode: 0o600 });
    this.chown(f.configFile);
  }

  /** Runs `pgbouncer -d <config>` as the server user; it forks into the background and the parent returns. */
  private runDaemon(binary: string): Promise<void> {
    const u = this.host.serverUser;
    return new Promise((resolve, reject) => {
      const child = spawn(binary, ['-d', '-q', this.files.configFile], {
        uid: u.switchFromRoot ? u.uid : undefined,
        gid: u.switchFromRoot ? u.gid : undefined,
        env: { PATH: this.host.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: u.switchFromRoot ? '/tmp' : (this.host.env.HOME ?? '/tmp'), ...(this.host.env.PGDRILL_TEST_RUN ? { PGDRILL_TEST_RUN: this.host.env.PGDRILL_TEST_RUN } : {}) },
        cwd: '/',
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-2000); });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new UserError(`PgBouncer (${binary}) could not be started: ${error.message}`, 'Check that the pgbouncer program runs on this machine, or set PGBOUNCER_BIN.'));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new UserError(`PgBouncer (${binary}) exited with ${signal ?? `code ${code}`} at start: ${stderr.trim() || 'no message'}.${this.logTail()}`, `Read ${this.files.logFile} and ${this.files.configFile}.`));
      });
    });
  }

  private logTail(): string {
    try {
      const tail = readFileSync(this.files.logFile, 'utf8').trim().split('\n').slice(-6).join('\n');
      return tail ? `\nLast lines of ${this.files.logFile}:\n${tail}` : '';
    } catch {
      return '';
    }
  }
}

/** An ini value: bare when it is a plain word or path, quoted otherwise. */
function quoteIniBare(value: string): string {
  return /^[A-Za-z0-9_./,:-]+$/.test(value) ? value : quoteIni(value);
}
