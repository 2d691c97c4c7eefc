/**
 * `npm run bench -- load`: how much load the drill chain sustains on this
 * machine, against the machine's own ceiling.
 *
 * - ceiling: autocannon (closed loop, no rate limit) against a trivial Node
 *   HTTP server that answers at once;
 * - chain: the same autocannon run against the sample service, which reaches
 *   a real lab through the built-in fault proxy (writes and reads mixed as
 *   in a drill);
 * - chain with PgBouncer: the same against a second sample service whose
 *   path goes through the lab's PgBouncer (service → proxy → PgBouncer →
 *   PostgreSQL, transaction pooling), when PgBouncer is installed;
 * - drill load: pgdrill's own fixed-rate load generator at the seed's
 *   1000 requests/s through the same chain, to check that a drill holds it
 *   (achieved rate and success ratio).
 *
 * Each is run several times; min / median / max are printed with the ratio
 * of chain to ceiling. Everything started is stopped and removed at the end,
 * also on SIGINT/SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Table from 'cli-table3';
import { Toxiproxy } from 'toxiproxy-node-client';
import { ProxyLink } from '../src/faults/proxy-link.ts';
import { Lab } from '../src/lab/lab.ts';
import { findPgBouncer } from '../src/lab/pgbouncer-binary.ts';
import { errorMessage } from '../src/core/errors.ts';
import { startLoad } from '../src/load/load-generator.ts';
import { DrillClock } from '../src/measure/clock.ts';
import { startSupervisedService } from '../src/service/supervised-service.ts';
import { startToxiproxyServer } from '../src/toxiproxy/server.ts';
import { CleanupStack } from '../src/util/cleanup.ts';
import { summarize, type Summary } from './stats.ts';

/** The seed's load-test target, in requests per second. */
export const SEED_RATE = 1000;

interface Run {
  rps: number;
  p99Ms: number;
  errors: number;
}

function ac(url: string, seconds: number, connections: number, requests?: autocannon.Request[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, ...(requests ? { requests } : {}) }, (error, result) => {
      if (error) reject(error);
      else resolve({ rps: result.requests.average, p99Ms: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts });
    });
  });
}

function mixedRequests(userId: string): autocannon.Request[] {
  // Each connection reads back the payment it wrote just before (autocannon keeps a context per connection).
  return [
    {
      method: 'POST',
      path: '/payments',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: autocannon.Request, context: Record<string, unknown>) => {
        context.id = randomUUID();
        return { ...req, body: JSON.stringify({ id: context.id, userId, amount: '9.99', currency: 'EUR' }) };
      },
    },
    { method: 'GET', path: '/', setupRequest: (req: autocannon.Request, context: Record<string, unknown>) => ({ ...req, path: `/payments/${String(context.id)}` }) },
  ] as autocannon.Request[];
}

const fmt = (s: Summary, digits = 0) => `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;

/** Runs the load benchmark with its flags; resolves with the exit code. */
export async function runLoadBenchmark(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' }, connections: { type: 'string', default: '50' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('npm run bench -- load [--seconds 10] [--runs 3] [--connections 50]\n');
    return 0;
  }
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const connections = Number(values.connections);
  const cleanup = new CleanupStack();
  const root = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-bench-load-'));
  chmodSync(root, 0o755);
  cleanup.defer('remove the bench directory', () => rmSync(root, { recursive: true, force: true }));
  try {
    const trivial = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    await new Promise<void>((r) => trivial.listen(0, '127.0.0.1', r));
    cleanup.defer('stop the trivial server', () => new Promise<void>((r) => trivial.close(() => r())));
    const trivialUrl = `http://127.0.0.1:${(trivial.address() as { port: number }).port}`;

    const lab = new Lab({ labDir: path.join(root, 'lab'), log: (l) => process.stderr.write(`· ${l}\n`) });
    cleanup.defer('purge the lab', () => lab.down({ purge: true }).then(() => undefined));
    let poolerProblem: string | undefined;
    try {
      findPgBouncer();
    } catch (error) {
      poolerProblem = errorMessage(error);
    }
    await lab.up('ephemeral', { pooler: poolerProblem === undefined });
    const proxyServer = await startToxiproxyServer();
    cleanup.defer('stop the proxy', () => proxyServer.close());
    const link = await ProxyLink.create(new Toxiproxy(proxyServer.url), 'bench_payments', lab.endpoint);
    const service = await startSupervisedService({ databaseUrl: lab.serviceUrl('payments', link.listen) });
    cleanup.defer('stop the service', () => service.stop());
    let pooledService: Awaited<ReturnType<typeof startSupervisedService>> | undefined;
    if (lab.pooler) {
      const pooledLink = await ProxyLink.create(new Toxiproxy(proxyServer.url), 'bench_payments_pooled', lab.pooler.endpoint);
      pooledService = await startSupervisedService({ databaseUrl: lab.serviceUrl('payments', pooledLink.listen) });
      cleanup.defer('stop the pooled service', () => pooledService!.stop());
    }
    const userId = randomUUID();

    const ceiling: Run[] = [];
    const chain: Run[] = [];
    const pooled: Run[] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`· run ${i + 1}/${runs}: ceiling, then the chain${pooledService ? ', then the chain with PgBouncer' : ''} (${seconds} s each)\n`);
      ceiling.push(await ac(trivialUrl, seconds, connections));
      chain.push(await ac(service.url, seconds, connections, mixedRequests(userId)));
      if (pooledService) pooled.push(await ac(pooledService.url, seconds, connections, mixedRequests(userId)));
    }
    const held: Array<{ rate: number; ok: number }> = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`· run ${i + 1}/${runs}: drill load at ${SEED_RATE} requests/s (${seconds} s)\n`);
      const clock = new DrillClock();
      const load = startLoad(service.url, { rate: SEED_RATE, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: (seconds + 30) * 1000 }, { paymentIds: [], userIds: [userId] }, clock);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const outcome = await load.stop();
      // Measure the steady part, after the first second.
      const steady = outcome.timeline.filter((i) => outcome.timeline.sentAt(i) >= 1000);
      const span = (outcome.stoppedAt - 1000) / 1000;
      held.push({ rate: steady.length / span, ok: steady.count((i) => steady.ok(i)) / Math.max(1, steady.length) });
    }

    const c = summarize(ceiling.map((r) => r.rps));
    const s = summarize(chain.map((r) => r.rps));
    const ratio = summarize(chain.map((r, i) => r.rps / ceiling[i]!.rps));
    const rate = summarize(held.map((h) => h.rate));
    const ok = summarize(held.map((h) => h.ok * 100));
    const table = new Table({ head: ['measure (min / median / max)', 'value'], style: { head: [], border: [] } });
    table.push(
      ['ceiling: autocannon → trivial Node server, req/s', fmt(c)],
      ['ceiling p99 latency, ms', fmt(summarize(ceiling.map((r) => r.p99Ms)))],
      ['chain: autocannon → service → proxy → PostgreSQL, req/s', fmt(s)],
      ['chain p99 latency, ms', fmt(summarize(chain.map((r) => r.p99Ms)))],
      ['chain errors (non-2xx, timeouts)', fmt(summarize(chain.map((r) => r.errors)))],
      ['chain / ceiling', fmt(ratio, 3)],
      ...(pooled.length
        ? [
            ['chain with PgBouncer: autocannon → service → proxy → PgBouncer → PostgreSQL, req/s', fmt(summarize(pooled.map((r) => r.rps)))],
            ['chain with PgBouncer p99 latency, ms', fmt(summarize(pooled.map((r) => r.p99Ms)))],
            ['chain with PgBouncer errors (non-2xx, timeouts)', fmt(summarize(pooled.map((r) => r.errors)))],
            ['chain with PgBouncer / chain', fmt(summarize(pooled.map((r, i) => r.rps / chain[i]!.rps)), 3)],
          ]
        : [['chain with PgBouncer', `not measured: ${poolerProblem ?? 'no pooler'}`]]),
      [`drill load at ${SEED_RATE} req/s: achieved req/s`, fmt(rate)],
      ['drill load: answered OK, %', fmt(ok, 2)],
      [`the drills hold the seed's ${SEED_RATE} req/s`, rate.min >= SEED_RATE * 0.95 && ok.min >= 99 ? 'yes' : 'NO'],
    );
    process.stdout.write(`${table.toString()}\n(${runs} runs of ${seconds} s, ${connections} connections for the closed-loop runs, ${os.cpus().length} cores)\n`);
    return 0;
  } finally {
    const failures = await cleanup.dispose();
    for (const f of failures) process.stderr.write(`cleanup failed: ${f}\n`);
  }
}
