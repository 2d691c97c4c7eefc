import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../../src/load/load-generator.ts';
import { DrillClock } from '../../src/measure/clock.ts';
import { startPaymentsService, type ServiceProcess } from '../../src/service/service-process.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('load generator (open model, real service)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let service: ServiceProcess;
  beforeAll(async () => {
    env = await startTestLab('load');
    service = await startPaymentsService({ databaseUrl: env.lab.serviceUrl('payments') });
  });
  afterAll(async () => {
    await service?.stop();
    await env?.dispose();
  });

  it('sends a fixed rate spread evenly in time, and every acknowledged write is in the ledger and the database', async () => {
    const admin = new pg.Client({ connectionString: env.lab.adminUrl('payments_db') });
    admin.on('error', () => {});
    await admin.connect();
    const seeded = (await admin.query('SELECT id::text AS id, user_id::text AS user_id FROM payments LIMIT 50')).rows;
    const clock = new DrillClock();
    const load = startLoad(service.url, { rate: 50, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 30_000 }, { paymentIds: seeded.map((r) => r.id), userIds: seeded.map((r) => r.user_id) }, clock);
    await new Promise((r) => setTimeout(r, 3000));
    const outcome = await load.stop();
    const timeline = outcome.timeline.toArray();
    const n = timeline.length;
    // 3 s at 50 requests/s (the stop may come a little late; requests in flight at the stop are not counted).
    expect(n).toBeGreaterThanOrEqual(140);
    expect(n).toBeLessThanOrEqual(160);
    expect(timeline.filter((r) => !r.ok)).toEqual([]);
    const writes = timeline.filter((r) => r.kind === 'write');
    expect(writes.length / n).toBeGreaterThan(0.4);
    expect(writes.length / n).toBeLessThan(0.6);
    // Evenly spread: one send every 20 ms, no burst-then-silence.
    const sends = timeline.map((r) => r.sentAt).sort((a, b) => a - b);
    const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
    expect(Math.max(...gaps)).toBeLessThan(60);
    expect(outcome.stats).toMatchObject({ targetRate: 50, inFlightCapHit: false });
    expect(outcome.stats.sentRate).toBeGreaterThan(47.5);
    expect(outcome.ledger.length).toBe(writes.length);

    const { rows } = await admin.query('SELECT count(*)::int AS n FROM payments WHERE id = ANY($1::uuid[])', [outcome.ledger.map((e) => e.id)]);
    await admin.end();
    expect(rows[0].n).toBe(outcome.ledger.length);
  });

  it('records refused connections as failures with their error', async () => {
    const clock = new DrillClock();
    const load = startLoad('http://127.0.0.1:1', { rate: 20, writeRatio: 0.5, timeoutMs: 2000, maxDurationMs: 10_000 }, { paymentIds: [], userIds: [] }, clock);
    await new Promise((r) => setTimeout(r, 1500));
    const outcome = await load.stop();
    const timeline = outcome.timeline.toArray();
    expect(timeline.length).toBeGreaterThan(5);
    expect(timeline.every((r) => !r.ok && r.status === null)).toBe(true);
    expect(timeline[0]!.error).toBe('ECONNREFUSED');
    expect(outcome.ledger).toEqual([]);
  });
});

describe('load generator (open model) against a slow server', () => {
  let server: http.Server;
  let url: string;
  const open = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    // Answers every request after 1.5 s: a closed loop would send a fraction of its rate meanwhile.
    server = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(req.method === 'POST' ? 201 : 200).end('{}'), 1500);
    });
    server.on('connection', (s) => { open.add(s); s.on('close', () => open.delete(s)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => server?.close(r));
  });

  it('keeps sending at the arrival rate while every answer takes 1.5 s', async () => {
    const load = startLoad(url, { rate: 100, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 30_000 }, { paymentIds: [], userIds: [] }, new DrillClock());
    await new Promise((r) => setTimeout(r, 3000));
    const outcome = await load.stop();
    expect(outcome.stats.sentRate).toBeGreaterThan(95);
    expect(outcome.stats.sentRate).toBeLessThan(105);
    expect(outcome.stats.inFlightCapHit).toBe(false);
    // 1.5 s of requests at 100/s are in flight at once.
    expect(outcome.stats.maxInFlight).toBeGreaterThanOrEqual(140);
    const timeline = outcome.timeline.toArray();
    // Only what answered before the stop: sent in the first 1.5 s, each 1.5 s long.
    expect(timeline.length).toBeGreaterThan(120);
    expect(timeline.every((r) => r.ok && r.endAt - r.sentAt >= 1490)).toBe(true);
    expect(outcome.ledger.length).toBe(timeline.filter((r) => r.kind === 'write').length);
    expect(outcome.attemptedWriteIds.length).toBeGreaterThanOrEqual(145);
  });

  it('caps requests in flight and reports that the cap was hit', async () => {
    const load = startLoad(url, { rate: 100, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 30_000, maxInFlight: 20 }, { paymentIds: [], userIds: [] }, new DrillClock());
    await new Promise((r) => setTimeout(r, 2000));
    const outcome = await load.stop();
    expect(outcome.stats).toMatchObject({ maxInFlight: 20, inFlightCap: 20, inFlightCapHit: true });
    expect(outcome.stats.skipped).toBeGreaterThan(100);
    expect(outcome.stats.sentRate).toBeLessThan(30);
  });
});
