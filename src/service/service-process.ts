import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { MODULE_EXTENSION } from '../util/package-root.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** How to start the sample service. */
export interface ServiceOptions {
  /** The service's connection URL (through the fault proxy). Passed by environment, never on a command line. */
  databaseUrl: string;
  port?: number;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Retries of a transient database failure (default 3) and the first backoff delay (default 100 ms). */
  retries?: number;
  retryBaseMs?: number;
  /** Receives the service's stderr, line by line. */
  log?: (line: string) => void;
}

/**
 * The sample payments service running as a child process of the harness.
 * `stop` ends it gracefully (SIGTERM, then SIGKILL after 5 s); `kill` sends
 * SIGKILL at once (a crash). Both are idempotent, and the child also exits
 * by itself when the harness goes away (its IPC channel closes).
 */
export interface ServiceProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Starts the sample payments service and waits until it listens. */
export function startPaymentsService(options: ServiceOptions): Promise<ServiceProcess> {
  // From the sources the service is TypeScript (run under tsx); from the compiled build it is plain JavaScript.
  const child: ChildProcess = fork(path.join(here, `payments-service${MODULE_EXTENSION}`), [], {
    execArgv: MODULE_EXTENSION === '.ts' ? ['--import', createRequire(import.meta.url).resolve('tsx')] : [],
    env: {
      ...process.env,
      PGDRILL_DATABASE_URL: options.databaseUrl,
      PGDRILL_SERVICE_PORT: String(options.port ?? 0),
      PGDRILL_POOL_MAX: String(options.poolMax ?? 10),
      PGDRILL_CONNECT_TIMEOUT_MS: String(options.connectTimeoutMs ?? 2000),
      PGDRILL_STATEMENT_TIMEOUT_MS: String(options.statementTimeoutMs ?? 2000),
      PGDRILL_RETRIES: String(options.retries ?? 3),
      PGDRILL_RETRY_BASE_MS: String(options.retryBaseMs ?? 100),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    for (const line of chunk.split('\n').filter(Boolean)) options.log?.(line);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new UserError(`The sample service did not start listening within 20 s.${stderr ? ` It said: ${stderr.trim()}` : ''}`));
    }, 20_000);
    child.once('message', (message: { type?: string; port?: number }) => {
      if (message?.type !== 'listening' || !message.port) return;
      clearTimeout(timer);
      const port = message.port;
      resolve({ url: `http://127.0.0.1:${port}`, port, pid: child.pid ?? -1, exited, stop, kill });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new UserError(`The sample service exited before it listened (${signal ?? `code ${code}`}).${stderr ? ` It said: ${stderr.trim()}` : ''}`));
    });
  });
}
