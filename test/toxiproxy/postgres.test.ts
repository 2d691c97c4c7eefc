/**
 * A real PostgreSQL client (node-postgres) through the proxy, the way a
 * service uses it: one pooled connection opened before the fault, which must
 * feel toxics added afterwards. Runs against the real Toxiproxy at
 * TOXIPROXY_URL when set, else the built-in server.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestLab } from '../helpers/test-lab.ts';
import { Cleanup, portOf, startTarget, uniqueName } from './helpers.ts';

describe('a Postgres client through the proxy', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    env = await startTestLab('toxipg');
  });
  afterEach(() => cleanup.run());
  afterAll(async () => {
    await env?.dispose();
  });

  /** A proxy in front of the lab and a pool of one connection through it, already connected. */
  async function pooledConnection() {
    const { toxiproxy } = await startTarget(cleanup);
    const { host, port } = env.lab.endpoint;
    const proxy = await toxiproxy.createProxy({ name: uniqueName('pg'), listen: '127.0.0.1:0', upstream: `${host}:${port}` });
    const pool = new pg.Pool({
      connectionString: env.lab.adminUrl('postgres', { host: '127.0.0.1', port: portOf(proxy.listen) }),
      max: 1,
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: 5000,
    });
    const idleErrors: Error[] = [];
    pool.on('error', (err) => idleErrors.push(err));
    cleanup.add(() => pool.end());
    const backendPid = async (): Promise<number> => (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const pid = await backendPid();
    return { proxy, pool, pid, backendPid, idleErrors };
  }

  /** Milliseconds a `SELECT 1` takes on the pool. */
  async function selectOne(pool: pg.Pool): Promise<number> {
    const start = performance.now();
    const result = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(result.rows[0]!.one).toBe(1);
    return performance.now() - start;
  }

  it('a pooled connection opened before a 200 ms latency toxic feels it, and is fast again once it is removed', async () => {
    const { proxy, pool, pid, backendPid } = await pooledConnection();
    const baseline = await selectOne(pool);
    expect(baseline).toBeLessThan(100);

    const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    for (let i = 0; i < 3; i++) {
      const slow = await selectOne(pool);
      expect(slow).toBeGreaterThanOrEqual(200);
      // Toxiproxy's tolerance is 10 ms; the rest is room for a busy 2-core machine.
      expect(slow).toBeLessThan(300);
    }
    // The very same server session: the toxic reached the open connection, nothing reconnected.
    expect(await backendPid()).toBe(pid);

    await toxic.remove();
    for (let i = 0; i < 3; i++) expect(await selectOne(pool)).toBeLessThan(100);
    expect(await backendPid()).toBe(pid);
  });

  it('reset_peer makes the pooled connection fail with ECONNRESET; the pool reconnects once it is removed', async () => {
    const { proxy, pool, pid, backendPid } = await pooledConnection();
    await selectOne(pool);
    const toxic = await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
    const error = await pool.query('SELECT 1').then(
      () => null,
      (err: NodeJS.ErrnoException) => err,
    );
    expect(error?.code).toBe('ECONNRESET');

    await toxic.remove();
    await selectOne(pool);
    expect(await backendPid()).not.toBe(pid);
  });
});
