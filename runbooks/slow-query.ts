import pg from 'pg';
import { defineRunbook } from '../src/core/runbook.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';

const SLOW_QUERIES = `SELECT pid, usename, application_name, state, wait_event_type, wait_event,
       round(extract(epoch FROM now() - query_start) * 1000)::int AS running_ms, left(query, 60) AS query
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()
 ORDER BY query_start LIMIT 20`;

const BLOCKERS = `SELECT blocker.pid, blocker.usename, blocker.application_name, blocker.state,
       round(extract(epoch FROM now() - blocker.xact_start) * 1000)::int AS transaction_ms,
       count(*)::int AS sessions_waiting, left(blocker.query, 60) AS last_query
  FROM pg_stat_activity blocked
  CROSS JOIN LATERAL unnest(pg_blocking_pids(blocked.pid)) AS b(pid)
  JOIN pg_stat_activity blocker ON blocker.pid = b.pid
 GROUP BY 1, 2, 3, 4, 5, 7 ORDER BY sessions_waiting DESC`;

const TERMINATE_BLOCKERS = `SELECT pid, pg_terminate_backend(pid) AS terminated
  FROM (SELECT DISTINCT unnest(pg_blocking_pids(pid)) AS pid FROM pg_stat_activity) AS blockers
 WHERE pid <> pg_backend_pid()`;

/**
 * The seed's "Query timeout / slow query": find what makes queries slow
 * (a blocking lock, or the path to the database), remove the cause, and
 * check that the service's retries with exponential backoff carried
 * requests through.
 */
export default defineRunbook({
  id: 'slow-query',
  title: 'Queries are slow or time out',
  summary:
    'Use when the service logs statement timeouts or its requests take seconds. Look at what the server is doing first: queries waiting on a lock point to a blocker to remove; queries the server finishes quickly point to the network or the pooler.',
  steps: [
    {
      id: 'find-slow-queries',
      title: 'List the queries that are running or waiting',
      why: 'pg_stat_activity shows each session, what it runs and what it waits on. wait_event_type "Lock" means queries queue behind another session; nothing slow here means the time is lost outside the server.',
      expect: 'Either many sessions waiting on a Lock, or no slow query at all (then the path is slow).',
      command: { kind: 'sql', database: 'postgres', text: SLOW_QUERIES },
      timeoutMs: 15_000,
    },
    {
      id: 'find-blockers',
      title: 'Find the sessions that block others',
      why: 'pg_blocking_pids() names the session each waiting query queues behind. A blocker idle in a transaction (a forgotten BEGIN, a stuck migration) holds its locks until it ends.',
      expect: 'The blocker, if any: its pid, user, application, how long its transaction has been open, and how many sessions wait on it.',
      command: { kind: 'sql', database: 'postgres', text: BLOCKERS },
      timeoutMs: 15_000,
    },
    {
      id: 'terminate-blockers',
      title: 'Terminate the blocking sessions',
      why: 'A blocker idle in a transaction has no query to cancel: pg_cancel_backend() would do nothing, pg_terminate_backend() ends the session and rolls its transaction back, releasing its locks. Check with its owner first when the blocker is a migration.',
      expect: 'Each blocker is terminated (terminated = true); waiting queries proceed at once.',
      command: { kind: 'sql', database: 'postgres', text: TERMINATE_BLOCKERS },
      destructive: { touches: 'the sessions that block others (their open transactions are rolled back)' },
      timeoutMs: 15_000,
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0");
        return { ok: Number(row?.waiting) === 0, detail: `${row?.waiting} sessions still wait on a lock` };
      },
    },
    {
      id: 'check-path-latency',
      title: "Measure the round trip on the service's path",
      why: 'When the server finishes queries quickly but the service still waits, the time goes to the network or the pooler between them. A SELECT 1 through the same path shows it. In the lab the path is the fault proxy: remove its toxics if it is slow; in production look at the network and PgBouncer.',
      expect: 'SELECT 1 through the service path answers in a few milliseconds.',
      command: { kind: 'action', text: 'time SELECT 1 through the service path; lab: remove the proxy toxics when it is slow' },
      manual: 'Time a SELECT 1 from a service host through the same pooler and network path; if it is slow, check the network and the pooler (PgBouncer) before the database.',
      timeoutMs: 30_000,
      async run(ctx) {
        if (!ctx.link) throw new Error('no lab network path here: follow the manual instructions');
        const client = new pg.Client({ connectionString: ctx.target.adminUrl('postgres', ctx.link.listen), connectionTimeoutMillis: 10_000 });
        client.on('error', () => {});
        try {
          await client.connect();
          const started = performance.now();
          await client.query('SELECT 1');
          const ms = performance.now() - started;
          ctx.output(`SELECT 1 through ${ctx.link.listen.host}:${ctx.link.listen.port}: ${ms.toFixed(1)} ms`);
          if (ms > 100) {
            await ctx.link.heal();
            ctx.output('the path is slow: proxy toxics removed');
          }
        } finally {
          await client.end().catch(() => {});
        }
      },
    },
    verifyServiceStep('GET /health answers 200 in under 200 ms.', 200),
    {
      id: 'check-retries',
      title: "Check that the service's retries carried requests through",
      why: 'The seed asks services to retry failed queries with exponential backoff. Its counters show whether requests that hit the slowness were retried and succeeded, or gave up.',
      expect: 'Retries happened during the incident; most retried requests recovered.',
      command: { kind: 'action', text: 'GET $SERVICE_URL/stats: retries, recovered by retry, gave up' },
      manual: "Look at the service's retry metrics (retries, recovered by retry, gave up) for the incident window.",
      timeoutMs: 10_000,
      async run(ctx) {
        if (!ctx.serviceUrl) throw new Error('no service URL in this session: follow the manual instructions');
        const stats = (await (await fetch(`${ctx.serviceUrl}/stats`)).json()) as { retries: number; recoveredByRetry: number; gaveUp: number };
        ctx.output(`retries ${stats.retries}, recovered by retry ${stats.recoveredByRetry}, gave up ${stats.gaveUp}`);
      },
    },
  ],
});
