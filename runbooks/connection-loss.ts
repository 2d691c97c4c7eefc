import pg from 'pg';
import { defineRunbook } from '../src/core/runbook.ts';
import { checkServerStep, verifyServiceStep } from '../src/steps/common-steps.ts';

/**
 * Recovery runbook for the seed's "Service can't connect to database":
 * prove the server itself is up, look at its connections, restore the
 * network path, and confirm the service answers again.
 */
export default defineRunbook({
  id: 'connection-loss',
  title: "Service can't connect to the database",
  summary:
    'Use when the service logs ECONNREFUSED, ECONNRESET or connection timeouts against PostgreSQL. Decide first whether the server is down or the path to it is broken, because the two recoveries differ completely.',
  steps: [
    checkServerStep(
      'If the server itself is down, this is a database failure, not a connection problem: switch to the database-lost runbook. If it is up, the problem is the path between service and database (network, pooler, credentials).',
    ),
    {
      id: 'count-connections',
      title: 'Count connections by database, user and state',
      why: 'A server at max_connections refuses new clients with "too many clients already", which looks like a lost connection from the service. Knowing who holds the connections tells you whether to terminate idle sessions (connection-exhaustion runbook) or to look at the network.',
      expect: 'A handful of client connections, far below max_connections. The service may hold none right now: its connections were cut.',
      command: {
        kind: 'sql',
        database: 'postgres',
        text: "SELECT datname, usename, coalesce(state, 'unknown') AS state, count(*)::int AS connections FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2, 3 ORDER BY 4 DESC",
      },
      timeoutMs: 15_000,
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', "SELECT count(*)::int AS used, current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS available FROM pg_stat_activity WHERE backend_type = 'client backend'");
        const used = Number(row?.used);
        const available = Number(row?.available);
        return { ok: used < available, detail: `${used} of ${available} client connections in use` };
      },
    },
    {
      id: 'restore-connectivity',
      title: 'Restore the network path between service and database',
      why: 'The server is up and has room, so the path is broken. In production: check security groups and routes, the DATABASE_URL in the secrets store, and restart the pooler (PgBouncer). In the lab the path is the fault proxy: re-enable it and remove its toxics.',
      expect: 'A real PostgreSQL session through the service path succeeds (SELECT 1).',
      command: { kind: 'action', text: 'lab: enable the fault proxy and remove its toxics; production: fix the route, the secret or the pooler' },
      manual: 'Check the security groups and routes between the service and the database, verify DATABASE_URL in the secrets store, and restart the connection pooler (PgBouncer) if one is in the path.',
      timeoutMs: 30_000,
      async run(ctx) {
        if (!ctx.link) throw new Error('no lab network path to restore here: follow the manual instructions');
        await ctx.link.heal();
        ctx.output(`proxy ${ctx.link.name} enabled, toxics removed`);
      },
      async verify(ctx) {
        if (!ctx.link) return { ok: false, detail: 'no lab network path' };
        const client = new pg.Client({ connectionString: ctx.target.adminUrl('postgres', ctx.link.listen), connectionTimeoutMillis: 2000 });
        client.on('error', () => {});
        try {
          await client.connect();
          await client.query('SELECT 1');
          return { ok: true, detail: `SELECT 1 through ${ctx.link.listen.host}:${ctx.link.listen.port} succeeded` };
        } catch (error) {
          return { ok: false, detail: error instanceof Error ? error.message : String(error) };
        } finally {
          await client.end().catch(() => {});
        }
      },
    },
    verifyServiceStep('GET /health answers 200 within a few seconds; if it does not, restart the service instances.'),
  ],
});
