import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';
import { freePort } from '../lab/free-port.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import { redact } from '../util/redact.ts';
import { sleep } from '../util/sleep.ts';
import type { ServiceCommand } from './system.ts';

/** How to start the team's service for a drill. */
export interface UserServiceOptions {
  service: ServiceCommand;
  /** Path polled with GET until it answers 200. */
  readyPath: string;
  /** DATABASE_URL given to the service (through the fault proxy, as the service role). Never on a command line, never printed. */
  databaseUrl: string;
  /** Where the service's stdout and stderr are appended (the run's `service.log`). */
  logFile: string;
  /** Progress lines for a person. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const TAIL_LINES = 20;

/** Sends `signal` to the process group the service leads (its children too: `npm start` runs node under it). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone already
    }
  }
}

/**
 * The team's service under supervision, started from its command with
 * DATABASE_URL and PORT (a free loopback port chosen once: a restart
 * listens on the same one) in its own process group. Ready once GET
 * `readyPath` answers 200; a service that exits first, or is not ready in
 * `readyTimeoutMs`, is a `UserError` quoting its last 20 log lines. `kill`
 * is a crash (SIGKILL to the group); `stop` sends SIGTERM and SIGKILL after
 * `stopGraceMs`; `restart` starts it again and waits until it is ready.
 * Its stdout and stderr are appended to `logFile`.
 */
export async function startUserService(options: UserServiceOptions): Promise<SupervisedService> {
  const { service } = options;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  let tail: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let running = false;
  let stopped = false;

  const record = (chunk: string) => {
    const text = redact(chunk);
    appendFileSync(options.logFile, text);
    tail = [...tail, ...text.split('\n').filter((l) => l.trim() !== '')].slice(-TAIL_LINES);
  };
  const lastLines = () => (tail.length ? `\nIts last ${tail.length} log lines (all in ${options.logFile}):\n${tail.join('\n')}` : ` It printed nothing (log: ${options.logFile}).`);

  const launch = async (): Promise<void> => {
    record(`--- pgdrill: starting \`${service.command.join(' ')}\` in ${service.cwd} on port ${port} (${new Date().toISOString()})\n`);
    const [file, ...args] = service.command;
    const c = spawn(file!, args, {
      cwd: service.cwd,
      env: { ...process.env, ...service.env, DATABASE_URL: options.databaseUrl, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = c;
    running = true;
    let spawnError: Error | undefined;
    c.on('error', (error) => {
      spawnError = error;
    });
    c.stdout!.setEncoding('utf8').on('data', record);
    c.stderr!.setEncoding('utf8').on('data', record);
    let exitNote = '';
    exited = new Promise<void>((resolve) => {
      c.once('close', (code, signal) => {
        exitNote = signal ? `killed by ${signal}` : `exit code ${code}`;
        if (child === c) running = false;
        resolve();
      });
    });
    const done = exited.then(() => 'exited' as const);
    const deadline = performance.now() + service.readyTimeoutMs;
    let last = 'no answer yet';
    while (performance.now() < deadline) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (spawnError) {
        throw new UserError(`The service command \`${service.command.join(' ')}\` could not be started in ${service.cwd}: ${spawnError.message}.`, 'Fix `system.service.command` (argv without a shell; the program must be on PATH or a path relative to the config file).');
      }
      const attempt = fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => (r.status === 200 ? ('ready' as const) : `HTTP ${r.status}`),
        (error: unknown) => errorMessage((error as { cause?: unknown }).cause ?? error),
      );
      const outcome = await Promise.race([attempt, done]);
      if (outcome === 'ready') return;
      if (outcome === 'exited') {
        throw new UserError(`The service \`${service.command.join(' ')}\` exited (${exitNote}) before it answered GET ${options.readyPath} with 200.${lastLines()}`, 'Run the service by hand with the same DATABASE_URL and PORT to see why, fix it, then run the drill again.');
      }
      last = outcome;
      await Promise.race([sleep(200), done]);
    }
    throw new UserError(
      `The service \`${service.command.join(' ')}\` did not answer GET ${url}${options.readyPath} with 200 within ${service.readyTimeoutMs} ms (last: ${redact(last)}).${lastLines()}`,
      'Check that it listens on 127.0.0.1 at $PORT and that `system.service.ready` is its health path, or raise `system.service.readyTimeoutMs`.',
    );
  };

  const terminate = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const c = child;
    if (!c || !running) return;
    signalGroup(c, signal);
    if (signal === 'SIGKILL') {
      await exited;
      return;
    }
    const timer = setTimeout(() => {
      options.log?.(`the service did not exit within ${graceMs} ms of SIGTERM: killing it (SIGKILL)`);
      record(`--- pgdrill: no exit ${graceMs} ms after SIGTERM: SIGKILL\n`);
      signalGroup(c, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
    // What the service started and left behind in its group goes too.
    signalGroup(c, 'SIGKILL');
  };

  try {
    await launch();
  } catch (error) {
    await terminate('SIGKILL', 0);
    throw error;
  }
  return {
    url,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    isRunning: () => running,
    async kill() {
      await terminate('SIGKILL', 0);
    },
    async restart() {
      if (stopped) throw new Error('the service was stopped for good');
      if (running) return;
      try {
        await launch();
      } catch (error) {
        await terminate('SIGKILL', 0);
        throw error;
      }
    },
    async stop() {
      stopped = true;
      await terminate('SIGTERM', service.stopGraceMs);
    },
  };
}
