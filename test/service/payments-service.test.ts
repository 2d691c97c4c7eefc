import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaymentsService, type ServiceProcess } from '../../src/service/service-process.ts';
import { isAlive, startTestLab } from '../helpers/test-lab.ts';

describe('sample payments service', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let service: ServiceProcess;
  const userId = randomUUID();

  beforeAll(async () => {
    env = await startTestLab('service');
    service = await startPaymentsService({ databaseUrl: env.lab.serviceUrl('payments') });
  });
  afterAll(async () => {
    await service?.stop();
    await env?.dispose();
  });

  const post = (body: unknown) => fetch(`${service.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers health with a real query', async () => {
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
  });

  it('acknowledges a payment with 201 only once it is committed, and serves it back', async () => {
    const id = randomUUID();
    const response = await post({ id, userId, amount: '12.50', currency: 'EUR' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id });
    // Committed: another session sees it at once.
    const admin = new pg.Client({ connectionString: env.lab.adminUrl('payments_db') });
    await admin.connect();
    const { rows } = await admin.query('SELECT amount::text, status::text FROM payments WHERE id = $1', [id]);
    await admin.end();
    expect(rows).toEqual([{ amount: '12.50', status: 'pending' }]);
    const read = await fetch(`${service.url}/payments/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, currency: 'EUR' });
  });

  it('refuses a duplicate id with 409, bad input with 400, unknown ids with 404', async () => {
    const id = randomUUID();
    expect((await post({ id, userId, amount: 1, currency: 'EUR' })).status).toBe(201);
    expect((await post({ id, userId, amount: 1, currency: 'EUR' })).status).toBe(409);
    expect((await post({ id: 'nope', userId, amount: 1, currency: 'EUR' })).status).toBe(400);
    expect((await fetch(`${service.url}/payments/${randomUUID()}`)).status).toBe(404);
  });

  it('answers 503 quickly when the database cannot be reached, and exits on stop', async () => {
    const broken = await startPaymentsService({ databaseUrl: 'postgres://payments_service:x@127.0.0.1:1/payments_db', connectTimeoutMs: 1000 });
    try {
      const started = performance.now();
      const response = await fetch(`${broken.url}/health`);
      expect(response.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await broken.stop();
    }
    expect(isAlive(broken.pid)).toBe(false);
  });
});
