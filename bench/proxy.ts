/**
 * `npm run bench -- proxy`: what the built-in fault proxy costs when it holds
 * no toxic, against the same traffic sent directly.
 *
 * - pgbench select-only (`-S`) on a scratch database of a lab of its own,
 *   at 1 and 8 clients, directly and through the proxy, several runs each
 *   (direct and proxied runs interleaved, alternating which goes first, so
 *   that drifts of the machine hit both alike);
 * - a bulk TCP transfer (source and sink in processes of their own) directly
 *   and through the proxy, in MB/s (1 MB = 1,000,000 B).
 *
 * Prints min / median / max over the runs and the targets of the issue
 * (added latency < 100 µs per hop; throughput at 8 clients ≥ 0.75 of direct;
 * bulk ≥ 500 MB/s), each judged on the median and on the worst run.
 * Everything it starts (lab, proxy, child processes, temp dir) is stopped
 * and removed at the end, on failure and on SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { Toxiproxy } from 'toxiproxy-node-client';
import { Lab } from '../src/lab/lab.ts';
import { startToxiproxyServer } from '../src/toxiproxy/server.ts';
import { CleanupStack } from '../src/util/cleanup.ts';
import { spread, summarize } from './stats.ts';
import type { Summary } from './stats.ts';

/** The targets of the issue "Fault proxy: complete Toxiproxy compatibility". */
export const TARGETS = {
  /** Added latency per hop, µs: less than this. */
  addedLatencyPerHopUs: 100,
  /** Proxied / direct pgbench tps at 8 clients: at least this. */
  throughputRatio8: 0.75,
  /** Bulk transfer through the proxy, MB/s: at least this. */
  bulkMBps: 500,
} as const;

/** Flags of the proxy benchmark. */
export interface ProxyBenchOptions {
  /** Duration of each pgbench run, seconds (`--seconds`, default 10). */
  seconds: number;
  /** Runs of each measurement (`--runs`, default 3). */
  runs: number;
  /** Client counts for pgbench (`--clients 1,8`); 1 is needed for the added latency. */
  clients: number[];
  /** pgbench scale factor for `pgbench -i -s` (`--scale`, default 10). */
  scale: number;
  /** Bytes per bulk transfer, in MB (`--bulk-mb`, default 1000, i.e. 1 GB). */
  bulkMb: number;
  /** Also write every measurement as JSON to this file (`--json`). */
  json: string | undefined;
  /** Measure only this part (`--only pgbench|bulk`); both when undefined. Without pgbench no lab is started. */
  only: 'pgbench' | 'bulk' | undefined;
  help: boolean;
}

const USAGE = `usage: npm run bench -- proxy [--seconds N] [--runs N] [--clients 1,8] [--scale N] [--bulk-mb N] [--json FILE]

  --seconds N     duration of each pgbench run (default 10)
  --runs N        runs of each measurement, direct and proxied (default 3)
  --clients LIST  pgbench client counts, comma-separated (default 1,8)
  --scale N       pgbench -i scale factor of the scratch database (default 10)
  --bulk-mb N     size of each bulk TCP transfer in MB of 10^6 bytes (default 1000)
  --json FILE     also write every measurement to FILE as JSON
  --only PART     measure only "pgbench" or only "bulk" (bulk alone starts no lab)
`;

/** Parse the flags after `proxy`. Throws an Error saying what is wrong. */
export function parseProxyBenchArgs(argv: string[]): ProxyBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      seconds: { type: 'string' },
      runs: { type: 'string' },
      clients: { type: 'string' },
      scale: { type: 'string' },
      'bulk-mb': { type: 'string' },
      json: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const positive = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, not "${text}"`);
    return n;
  };
  if (values.only !== undefined && values.only !== 'pgbench' && values.only !== 'bulk') throw new Error(`--only must be "pgbench" or "bulk", not "${values.only}"`);
  const clients = (values.clients ?? '1,8').split(',').map((c) => positive('clients', c.trim(), 1));
  return {
    seconds: positive('seconds', values.seconds, 10),
    runs: positive('runs', values.runs, 3),
    clients: [...new Set(clients)].sort((a, b) => a - b),
    scale: positive('scale', values.scale, 10),
    bulkMb: positive('bulk-mb', values['bulk-mb'], 1000),
    json: values.json,
    only: values.only as ProxyBenchOptions['only'],
    help: values.help ?? false,
  };
}

/** What one pgbench run reports. */
export interface PgbenchResult {
  /** Transactions per second, without the initial connection time. */
  tps: number;
  /** Average transaction latency, ms. */
  latencyMs: number;
}

/** Read tps and average latency out of pgbench's summary. Throws when either is missing. */
export function parsePgbenchOutput(text: string): PgbenchResult {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(text) ?? /^tps = ([\d.]+)/m.exec(text);
  const latency = /^latency average = ([\d.]+) ms/m.exec(text);
  if (tps === null || latency === null) throw new Error(`could not read tps and latency from pgbench's output:\n${text}`);
  return { tps: Number(tps[1]), latencyMs: Number(latency[1]) };
}

/** Everything measured, run by run (direct[i] and proxy[i] were run back to back). */
interface Measurements {
  pgbench: Record<number, { direct: PgbenchResult[]; proxy: PgbenchResult[] }>;
  bulk: Record<BulkDirection, { direct: number[]; proxy: number[] }>;
}

/**
 * Run the proxy benchmark with the flags in `argv` and print its table to
 * stdout (progress to stderr). Resolves 0 when it ran (targets met or not:
 * they are reported, not enforced), 1 on a bad flag or a failure. On SIGINT
 * or SIGTERM everything it started is stopped and removed before the
 * process exits (130 / 143).
 */
export async function runProxyBenchmark(argv: string[]): Promise<number> {
  let options: ProxyBenchOptions;
  try {
    options = parseProxyBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const progress = (line: string): void => {
    process.stderr.write(`[bench proxy] ${line}\n`);
  };
  const cleanup = new CleanupStack(60_000);
  // Taken before anything starts: the load average then is the machine's own background load.
  const about = machine();
  let code = 0;
  try {
    const measurements = await measure(options, cleanup, progress);
    process.stdout.write(report(options, about, measurements));
    if (options.json !== undefined) {
      writeFileSync(options.json, `${JSON.stringify({ options, machine: about, targets: TARGETS, measurements }, null, 2)}\n`);
      progress(`measurements written to ${options.json}`);
    }
  } catch (err) {
    if (cleanup.signal.aborted) progress('interrupted');
    else process.stderr.write(`the proxy benchmark failed: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    progress('cleaning up');
    const failures = await cleanup.dispose();
    for (const failure of failures) process.stderr.write(`cleanup failed: ${failure}\n`);
    if (failures.length > 0) code = 1;
  }
  return code;
}

async function measure(options: ProxyBenchOptions, cleanup: CleanupStack, progress: (line: string) => void): Promise<Measurements> {
  const { signal } = cleanup;
  const root = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-bench-'));
  // The lab's server runs as an unprivileged user when we are root: it must be able to enter.
  chmodSync(root, 0o755);
  cleanup.defer('temporary directory', () => rmSync(root, { recursive: true, force: true }));

  const server = await startToxiproxyServer();
  cleanup.defer('fault proxy', () => server.close());
  const toxiproxy = new Toxiproxy(server.url);
  const measurements: Measurements = { pgbench: {}, bulk: { upstream: { direct: [], proxy: [] }, downstream: { direct: [], proxy: [] } } };
  if (options.only !== 'bulk') await measurePgbench(options, root, toxiproxy, measurements, cleanup, progress);
  if (options.only !== 'pgbench') await measureBulk(options, toxiproxy, measurements, signal, progress);
  return measurements;
}

async function measurePgbench(options: ProxyBenchOptions, root: string, toxiproxy: Toxiproxy, measurements: Measurements, cleanup: CleanupStack, progress: (line: string) => void): Promise<void> {
  const { signal } = cleanup;
  const lab = new Lab({ labDir: path.join(root, 'lab'), log: progress });
  cleanup.defer('lab', async () => {
    await lab.down({ purge: true });
  });
  progress('starting a lab of its own');
  await lab.up('ephemeral');
  const { host, port } = lab.endpoint;
  const pgProxy = await toxiproxy.createProxy({ name: 'postgres', listen: '127.0.0.1:0', upstream: `${host}:${port}` });
  const proxyPort = Number(pgProxy.listen.slice(pgProxy.listen.lastIndexOf(':') + 1));

  const database = 'pgbench_scratch';
  const pgbench = lab.pg().bin('pgbench');
  const env = lab.clientEnv();
  await lab.psql('postgres', `CREATE DATABASE ${database}`);
  progress(`pgbench -i -s ${options.scale} into ${database}`);
  await run(pgbench, ['-i', '-q', '-s', String(options.scale), '-h', '127.0.0.1', '-p', String(port), database], env, signal);

  const targets = { direct: port, proxy: proxyPort } as const;
  for (const clients of options.clients) {
    const results = { direct: [] as PgbenchResult[], proxy: [] as PgbenchResult[] };
    measurements.pgbench[clients] = results;
    for (let i = 0; i < options.runs; i++) {
      for (const via of i % 2 === 0 ? (['direct', 'proxy'] as const) : (['proxy', 'direct'] as const)) {
        signal.throwIfAborted();
        const args = ['-n', '-S', '-c', String(clients), '-j', String(clients), '-T', String(options.seconds), '-h', '127.0.0.1', '-p', String(targets[via]), database];
        const result = parsePgbenchOutput(await run(pgbench, args, env, signal));
        results[via].push(result);
        progress(`pgbench -S -c ${clients}, run ${i + 1}/${options.runs}, ${via}: ${result.tps.toFixed(0)} tps, ${(result.latencyMs * 1000).toFixed(0)} µs average latency`);
      }
    }
  }
}

async function measureBulk(options: ProxyBenchOptions, toxiproxy: Toxiproxy, measurements: Measurements, signal: AbortSignal, progress: (line: string) => void): Promise<void> {
  const bytes = options.bulkMb * 1_000_000;
  for (const direction of ['downstream', 'upstream'] as const) {
    for (let i = 0; i < options.runs; i++) {
      for (const via of i % 2 === 0 ? (['direct', 'proxy'] as const) : (['proxy', 'direct'] as const)) {
        signal.throwIfAborted();
        const mbps = await bulkTransfer(bytes, direction, via === 'proxy' ? toxiproxy : null, signal);
        measurements.bulk[direction][via].push(mbps);
        progress(`bulk ${options.bulkMb} MB ${direction}, run ${i + 1}/${options.runs}, ${via}: ${mbps.toFixed(0)} MB/s`);
      }
    }
  }
}

/** Run a client program to its end and resolve with its stdout; rejects on a non-zero exit (or when `signal` aborts, killing it). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(file)} ${args.join(' ')} failed (${sig ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
}

const BULK_SCRIPT = path.join(import.meta.dirname, 'tcp-bulk.mjs');

/** Which way a bulk transfer goes through the proxy: upstream = client to server, downstream = server to client. */
export type BulkDirection = 'upstream' | 'downstream';

/** One end of a bulk transfer (bench/tcp-bulk.mjs) running as a child process. */
interface BulkEnd {
  /** The words after `prefix` on the first stdout line starting with it; rejects if the process exits first. */
  next(prefix: string): Promise<string[]>;
  kill(): void;
}

function startBulkEnd(role: 'read' | 'write', where: string, bytes: number, signal: AbortSignal): BulkEnd {
  const child = spawn(process.execPath, [BULK_SCRIPT, role, where, String(bytes)], { signal, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => {});
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const seen: string[][] = [];
  let exited: number | null | undefined;
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    seen.push(line.trim().split(' '));
    for (const wake of [...waiters]) wake();
  });
  child.once('close', (code) => {
    exited = code;
    for (const wake of [...waiters]) wake();
  });
  return {
    next: (prefix) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = seen.find((words) => words[0] === prefix);
          if (found !== undefined) {
            waiters.delete(check);
            resolve(found.slice(1));
          } else if (exited !== undefined) {
            waiters.delete(check);
            reject(new Error(`bulk ${role} exited (${exited}) before "${prefix}": ${stderr.trim()}`));
          }
        };
        waiters.add(check);
        check();
      }),
    kill: () => child.kill(),
  };
}

/**
 * Move `bytes` over loopback between two processes of their own, directly or
 * through a proxy of `toxiproxy` (created for the run, deleted after), in
 * `direction` (upstream: the connecting side writes; downstream: the
 * listening side writes). Resolves with MB/s (10^6 B/s) as the reading end
 * measured it, from its first byte to its last.
 */
export async function bulkTransfer(bytes: number, direction: BulkDirection, toxiproxy: Toxiproxy | null, signal: AbortSignal): Promise<number> {
  const [serverRole, clientRole] = direction === 'upstream' ? (['read', 'write'] as const) : (['write', 'read'] as const);
  const ends: BulkEnd[] = [];
  let proxyName: string | null = null;
  try {
    const server = startBulkEnd(serverRole, 'listen', bytes, signal);
    ends.push(server);
    let port = Number((await server.next('port'))[0]);
    if (toxiproxy !== null) {
      proxyName = `bulk_${process.pid}_${Date.now()}`;
      const proxy = await toxiproxy.createProxy({ name: proxyName, listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
      port = Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
    }
    const client = startBulkEnd(clientRole, String(port), bytes, signal);
    ends.push(client);
    const [received, ms] = (await (serverRole === 'read' ? server : client).next('done')).map(Number) as [number, number];
    return received / 1e6 / (ms / 1000);
  } finally {
    for (const end of ends) end.kill();
    if (proxyName !== null && toxiproxy !== null) await (await toxiproxy.get(proxyName)).remove().catch(() => {});
  }
}

/** The machine, for the header of the report. */
function machine(): Record<string, string> {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

type Format = (n: number) => string;
const fixed =
  (digits: number): Format =>
  (n) =>
    n.toFixed(digits);

/** The report: configuration, one row per measure (min / median / max), the targets, and the noise of the machine. */
function report(options: ProxyBenchOptions, about: Record<string, string>, m: Measurements): string {
  const table = new Table({
    head: ['measure', 'min', 'median', 'max', 'target', 'median meets it', 'worst run meets it'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'left', 'left', 'left'],
  });
  const row = (label: string, s: Summary, format: Format, target?: { text: string; ok: (v: number) => boolean; worst: 'min' | 'max' }): void => {
    const verdict = (v: number): string => (target === undefined ? '' : target.ok(v) ? 'met' : 'not met');
    table.push([label, format(s.min), format(s.median), format(s.max), target?.text ?? '', verdict(s.median), target === undefined ? '' : verdict(s[target.worst])]);
  };
  const pairs = <T>(a: T[], b: T[], f: (x: T, y: T) => number): number[] => a.map((x, i) => f(x, b[i]!));
  const notes: string[] = [];

  for (const clients of options.only === 'bulk' ? [] : options.clients) {
    const r = m.pgbench[clients]!;
    const name = `pgbench -S, ${clients} client${clients === 1 ? '' : 's'}`;
    const direct = summarize(r.direct.map((x) => x.tps));
    row(`${name}: direct tps`, direct, fixed(0));
    row(`${name}: proxy tps`, summarize(r.proxy.map((x) => x.tps)), fixed(0));
    row(
      `${name}: proxy / direct`,
      summarize(pairs(r.proxy, r.direct, (p, d) => p.tps / d.tps)),
      fixed(3),
      clients === 8 ? { text: `≥ ${TARGETS.throughputRatio8}`, ok: (v) => v >= TARGETS.throughputRatio8, worst: 'min' } : undefined,
    );
    row(`${name}: avg latency direct (µs)`, summarize(r.direct.map((x) => x.latencyMs * 1000)), fixed(0));
    row(`${name}: avg latency proxy (µs)`, summarize(r.proxy.map((x) => x.latencyMs * 1000)), fixed(0));
    if (clients === 1) {
      // With one client, pgbench -S runs one statement per transaction, and each
      // statement is one round trip: the query goes client → server and the answer
      // server → client. Through the proxy each of those two legs passes through it
      // once, so one round trip crosses the proxy twice ("two hops"), and the
      // latency the proxy adds per hop is half the difference between the average
      // transaction latencies, proxied minus direct (paired run by run).
      row(
        'added latency per hop (µs)',
        summarize(pairs(r.proxy, r.direct, (p, d) => ((p.latencyMs - d.latencyMs) * 1000) / 2)),
        fixed(1),
        { text: `< ${TARGETS.addedLatencyPerHopUs} µs`, ok: (v) => v < TARGETS.addedLatencyPerHopUs, worst: 'max' },
      );
    }
    notes.push(`direct tps at ${clients} client${clients === 1 ? '' : 's'} varied by ${(spread(direct) * 100).toFixed(1)}% across runs`);
  }
  if (options.only !== 'pgbench') {
    for (const direction of ['downstream', 'upstream'] as const) {
      const r = m.bulk[direction];
      const name = `bulk TCP ${direction} (${direction === 'downstream' ? 'server → client' : 'client → server'})`;
      const direct = summarize(r.direct);
      row(`${name}: direct MB/s`, direct, fixed(0));
      row(`${name}: proxy MB/s`, summarize(r.proxy), fixed(0), { text: `≥ ${TARGETS.bulkMBps} MB/s`, ok: (v) => v >= TARGETS.bulkMBps, worst: 'min' });
      row(`${name}: proxy / direct`, summarize(pairs(r.proxy, r.direct, (p, d) => p / d)), fixed(3));
      notes.push(`direct bulk ${direction} MB/s varied by ${(spread(direct) * 100).toFixed(1)}% across runs`);
    }
  }
  const lines = [
    `proxy benchmark: built-in fault proxy, no toxics, vs direct`,
    `machine: ${about.cpu}, ${about.memory}, ${about.os}, node ${about.node}, load average ${about.loadavg} before the start`,
    `runs: ${options.runs} of each; pgbench -S -T ${options.seconds} at ${options.clients.join(', ')} client(s), scale ${options.scale}; bulk ${options.bulkMb} MB per transfer`,
    table.toString(),
    `noise: ${notes.join('; ')}`,
    `targets are judged on the median and on the worst run (for latency the max, for throughput the min)`,
  ];
  return `${lines.join('\n')}\n`;
}
