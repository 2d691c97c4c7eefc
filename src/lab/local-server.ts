import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { BugError, CommandError, errorMessage, UserError } from '../core/errors.ts';
import { maybeLowPriority } from '../util/low-priority.ts';
import { isProcessAlive } from '../util/process-alive.ts';
import { childrenOf } from '../util/process-tree.ts';
import { queryOnce } from '../util/query-once.ts';
import { runCommand, type CommandOutput } from '../util/run-command.ts';
import { sleep } from '../util/sleep.ts';
import { confLines } from './conf-file.ts';
import { pidFromPidFile, portFromPidFile, removeStalePidFile, removeStaleSocketLock } from './pid-file.ts';
import type { PgBinaries } from './pg-binaries.ts';
import { chownToServer, runAsServer } from './server-process.ts';
import type { ServerUser } from './server-user.ts';

/** How the harness reaches a local server as its superuser. Both may carry a password: never print them without `redact`. */
export interface ServerClient {
  /** node-postgres settings for `database`. */
  config(database: string): pg.ClientConfig;
  /** libpq environment (PGHOST, PGPORT, PGUSER, ...) for client programs on this server. */
  env(database: string): NodeJS.ProcessEnv;
}

/** Where one local PostgreSQL server lives and how it is reached. */
export interface LocalServerOptions {
  binaries: PgBinaries;
  /** The OS account that owns the data directory and runs the server. */
  user: ServerUser;
  dataDir: string;
  /** The port the server is configured to listen on (its Unix socket lock is named after it). */
  port: number;
  /** Where its Unix socket goes; created (mode 0700, owned by the server user) before every start. */
  socketDir?: string;
  /** The server log `pg_ctl start -l` writes. */
  logFile: string;
  /** How messages name it: "the lab", "the lab's replica", "the side cluster x". */
  name: string;
  /** How `query` and `psql` reach it; a server handled only to start, stop or kill it needs none. */
  client?: ServerClient;
  /** PATH and HOME of the server programs come from here (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * How a stop proceeds: `pg_ctl stop -m fast` waiting up to `fast` seconds
 * (skipped when absent), then `-m immediate` up to `immediate` seconds; when
 * both fail, `kill` sends SIGKILL to the postmaster, else the last failure
 * is thrown.
 */
export interface StopPlan {
  fast?: number;
  immediate: number;
  kill?: boolean;
}

/** What a failed start throws: a `UserError` whose message is `headline`, the cause and the log's last lines, with `advice` as the next step; or an error of the caller's own. */
export type StartFailure = { headline: string; advice: string } | ((cause: unknown) => Error);

/** The lab's stop: fast for a minute, then immediate; a failure of both is thrown. */
export const CLEAN_STOP: StopPlan = { fast: 60, immediate: 30 };

/**
 * One PostgreSQL server process run from a data directory on this machine,
 * as the server user: the lab's primary, its replica, a scratch (side)
 * cluster. It writes the `pgdrill.conf` the data directory includes, starts
 * the server with `pg_ctl start -w` (after removing a stale pid file and
 * socket lock), stops it (fast, then immediate), kills it (SIGKILL), says
 * whether it runs, and queries it through `client`. It owns no state of its
 * own: every answer is read from the data directory and the processes, so
 * an instance is cheap to make for each use, and what it knows (port,
 * paths) is what the caller recorded. It never creates or removes a data
 * directory.
 */
export class LocalServer {
  constructor(private readonly options: LocalServerOptions) {}

  get dataDir(): string {
    return this.options.dataDir;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  /** Writes `<dataDir>/pgdrill.conf` (mode 0600, owned by the server user) from `settings`; the server reads it at its next start or reload. */
  writeConfig(settings: Record<string, string | number>): void {
    const file = path.join(this.options.dataDir, 'pgdrill.conf');
    writeFileSync(file, `# Written by pgdrill at every start; edits are overwritten.\n${confLines(settings)}\n`, { mode: 0o600 });
    chownToServer(this.options.user, file);
  }

  /**
   * Starts the server and returns once it accepts connections
   * (`pg_ctl start -w`, waiting up to `waitSeconds`; at the lowest CPU and
   * I/O priority with `background`). A failure throws as `failure` says.
   */
  async start(options: { waitSeconds?: number; background?: boolean; failure: StartFailure }): Promise<void> {
    const { dataDir, logFile, socketDir, port, user } = this.options;
    const waitSeconds = options.waitSeconds ?? 60;
    if (socketDir) {
      // The socket directory may live outside the server's own directory (a short path under /tmp) and be gone since.
      mkdirSync(socketDir, { recursive: true, mode: 0o700 });
      chownToServer(user, socketDir);
      removeStaleSocketLock(socketDir, port);
    }
    removeStalePidFile(dataDir);
    const start = maybeLowPriority(options.background, this.bin('pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(waitSeconds), '-s']);
    try {
      await this.run(start.file, start.args, waitSeconds * 1000 + 30_000);
    } catch (error) {
      const { failure } = options;
      if (typeof failure === 'function') throw failure(error);
      const tail = this.logTail(8);
      throw new UserError(`${failure.headline}: ${errorMessage(error)}${tail ? `\nLast lines of ${logFile}:\n${tail}` : ''}`, failure.advice);
    }
  }

  /** Stops the server as `plan` says (default `CLEAN_STOP`); does nothing when the data directory has no postmaster.pid. */
  async stop(plan: StopPlan = CLEAN_STOP): Promise<void> {
    if (!existsSync(path.join(this.options.dataDir, 'postmaster.pid'))) return;
    const stopIn = (mode: string, seconds: number) => this.run(this.bin('pg_ctl'), ['stop', '-D', this.options.dataDir, '-m', mode, '-w', '-t', String(seconds), '-s'], (seconds + 10) * 1000);
    if (plan.fast !== undefined) {
      try {
        await stopIn('fast', plan.fast);
        return;
      } catch {
        // immediate next
      }
    }
    try {
      await stopIn('immediate', plan.immediate);
    } catch (error) {
      if (!plan.kill) throw error;
      const pid = this.postmasterPid();
      if (pid) process.kill(pid, 'SIGKILL');
    }
  }

  /**
   * Kills the postmaster with SIGKILL, then its orphaned backends once they
   * had 10 s to notice (none may keep acknowledging writes). Returns what it
   * killed; throws when no postmaster runs.
   */
  async kill(): Promise<string> {
    const pid = this.postmasterPid();
    if (!pid) throw new Error(`${this.options.name} has no running postmaster to kill`);
    const children = childrenOf(pid);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while ([pid, ...children].some(isProcessAlive) && Date.now() < deadline) await sleep(20);
    for (const child of children) if (isProcessAlive(child)) process.kill(child, 'SIGKILL');
    return `postmaster ${pid} killed (SIGKILL) with its ${children.length} child processes`;
  }

  /** True when the postmaster runs (asked of `pg_ctl status`, as the server user; a zombie postmaster does not count). */
  async isRunning(): Promise<boolean> {
    const { dataDir } = this.options;
    if (!existsSync(dataDir)) return false;
    // A killed postmaster reparented to a PID 1 that does not reap stays a zombie, which pg_ctl counts as running.
    const pid = pidFromPidFile(dataDir);
    if (pid !== undefined && !isProcessAlive(pid)) return false;
    try {
      await this.run(this.bin('pg_ctl'), ['status', '-D', dataDir], 15_000);
      return true;
    } catch (error) {
      if (error instanceof CommandError && (error.exitCode === 3 || error.exitCode === 4)) return false;
      throw error;
    }
  }

  /** The pid in postmaster.pid, whether or not that process still runs. */
  recordedPid(): number | undefined {
    return pidFromPidFile(this.options.dataDir);
  }

  /** The postmaster's pid when it runs. */
  postmasterPid(): number | undefined {
    const pid = this.recordedPid();
    return pid !== undefined && isProcessAlive(pid) ? pid : undefined;
  }

  /** The port in postmaster.pid (where the running server really listens), if any. */
  pidFilePort(): number | undefined {
    return portFromPidFile(this.options.dataDir);
  }

  /** Last lines of the server log ('' when there is none). */
  logTail(lines = 12): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** One SQL statement as the superuser through node-postgres; its rows. */
  query(database: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    return queryOnce(this.client().config(database), sql, params);
  }

  /** An SQL script through psql as the superuser (unaligned, tuples only, stops at the first error): its output. */
  async psql(database: string, sql: string, timeoutMs = 60_000): Promise<string> {
    const out = await runCommand(this.bin('psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-d', database], { env: this.client().env(database), input: sql, timeoutMs });
    return out.stdout;
  }

  private client(): ServerClient {
    if (!this.options.client) throw new BugError(`${this.options.name} was set up without a client: it cannot be queried`);
    return this.options.client;
  }

  private bin(name: string): string {
    return this.options.binaries.bin(name);
  }

  private run(file: string, args: string[], timeoutMs: number): Promise<CommandOutput> {
    return runAsServer(this.options.user, file, args, { timeoutMs, parentEnv: this.options.env });
  }
}
