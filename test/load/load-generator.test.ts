import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../../src/load/load-generator.ts';
import { DrillClock } from '../../src/measure/clock.ts';
import { startPaymentsService, type ServiceProcess } from '../../src/service/service-process.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('load generator (autocannon lanes)', () => {
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
    // 3 s at 50 requests/s (each lane may fit one more request in before the stop).
    expect(n).toBeGreaterThanOrEqual(130);
    expect(n).toBeLessThanOrEqual(175);
    expect(timeline.filter((r) => !r.ok)).toEqual([]);
    const writes = timeline.filter((r) => r.kind === 'write');
    expect(writes.length / n).toBeGreaterThan(0.4);
    expect(writes.length / n).toBeLessThan(0.6);
    // Evenly spread: no second-long burst-then-silence; the largest gap between sends stays well under a second.
    // (The first second is start-up: lanes are still being started.)
    const sends = timeline.map((r) => r.sentAt).filter((t) => t > 1000).sort((a, b) => a - b);
    const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
    expect(Math.max(...gaps)).toBeLessThan(100);
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
