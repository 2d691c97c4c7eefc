import { defineRunbook } from '../src/core/runbook.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { consoleAction, consolePsql, poolerOf, showPools, verifyPoolsStep } from '../src/steps/pooler-steps.ts';

/** How long a transaction must have sat idle before the runbook calls it a holder (the service's own transactions last milliseconds). */
const IDLE_HOLDER = "now() - state_change > interval '3 seconds'";

const FIND_HOLDERS = `SELECT pid, usename, datname, application_name, client_addr, client_port,
       round(extract(epoch FROM now() - xact_start))::int AS transaction_age_s, left(query, 60) AS last_query
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND state LIKE 'idle in transaction%' AND ${IDLE_HOLDER}
 ORDER BY xact_start`;

const TERMINATE_HOLDERS = `SELECT pid, usename, datname, application_name, pg_terminate_backend(pid) AS terminated
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND state LIKE 'idle in transaction%' AND ${IDLE_HOLDER}
   AND pid <> pg_backend_pid()`;

/**
 * PgBouncer's pool is saturated: clients hold its server connections in
 * transactions that do not end, and every other client waits. Find who
 * holds the pool, end those transactions on the server, resume what is
 * paused, verify.
 */
export default defineRunbook({
  id: 'pool-saturation',
  title: "PgBouncer's pool is saturated",
  summary:
    "Use when requests through PgBouncer hang or time out while PostgreSQL has free connections, and SHOW POOLS shows clients waiting (cl_waiting) with a growing maxwait. In transaction mode a server connection belongs to a client until its transaction ends: a client that opens a transaction and goes quiet holds it. Find them, end their transactions, check that the waiting clients are served.",
  steps: [
    {
      id: 'show-pools',
      title: 'Read the pools: who waits, how long',
      why: 'cl_waiting counts clients that sent a query and have no server connection; maxwait is how long the oldest has waited. sv_active at the pool size with nothing idle means the pool is fully lent out.',
      expect: 'A pool with cl_waiting above 0, sv_active at its pool size, sv_idle 0, maxwait climbing.',
      command: consoleAction('SHOW POOLS'),
      manual: `On the PgBouncer host: ${consolePsql('SHOW POOLS')}.`,
      timeoutMs: 15_000,
      async run(ctx) {
        await showPools(ctx);
      },
    },
    {
      id: 'show-clients',
      title: 'See which clients hold server connections',
      why: "SHOW CLIENTS lists every client with its state: those 'active' with a server linked hold a connection of the pool; their application_name and address name the program that holds it.",
      expect: 'As many linked clients as the pool size, most of them from one application.',
      command: consoleAction('SHOW CLIENTS'),
      manual: `On the PgBouncer host: ${consolePsql('SHOW CLIENTS')}; look at the clients whose link column is set.`,
      timeoutMs: 15_000,
      async run(ctx) {
        const rows = await poolerOf(ctx).admin('SHOW CLIENTS');
        const linked = rows.filter((r) => r.database !== 'pgbouncer' && String(r.link ?? '') !== '');
        const byApp = new Map<string, number>();
        for (const r of linked) {
          const who = `${String(r.database)}/${String(r.user)} ${String(r.application_name || '(no application_name)')}`;
          byApp.set(who, (byApp.get(who) ?? 0) + 1);
        }
        ctx.output(`${rows.filter((r) => r.database !== 'pgbouncer').length} clients, ${linked.length} holding a server connection`);
        for (const [who, n] of byApp) ctx.output(`  ${n} × ${who}`);
      },
    },
    {
      id: 'find-holders',
      title: 'Find the transactions that hold the pool, on the server',
      why: "Each server connection a client holds is a backend on PostgreSQL. A backend idle in a transaction for seconds holds its pool slot (and its locks and snapshot) while doing nothing: that is what starves the pool. PgBouncer passes the client's application_name on to it.",
      expect: 'Backends idle in transaction for more than 3 s, as many as the pool size, from the application seen in SHOW CLIENTS.',
      command: { kind: 'sql', database: 'postgres', text: FIND_HOLDERS },
      timeoutMs: 15_000,
      verifyIntervalMs: 500,
      async verify(ctx) {
        const rows = await ctx.sql('postgres', FIND_HOLDERS);
        const apps = [...new Set(rows.map((r) => String(r.application_name || '(no application_name)')))];
        return { ok: rows.length > 0, detail: rows.length > 0 ? `${rows.length} backend(s) idle in a transaction for more than 3 s (${apps.join(', ')})` : 'no backend idle in a transaction for more than 3 s yet' };
      },
    },
    {
      id: 'terminate-holders',
      title: 'End the transactions that hold the pool',
      why: 'Terminating those backends rolls their transactions back and frees the server connections; PgBouncer drops the broken server connections, tells their clients, and lends fresh connections to the clients that wait. Then fix the program that forgets to end its transactions (and set idle_in_transaction_session_timeout so the server ends them by itself).',
      expect: 'Each holder terminated; the waiting clients are served.',
      command: { kind: 'sql', database: 'postgres', text: TERMINATE_HOLDERS },
      destructive: { touches: 'every session idle in a transaction for more than 3 s (its transaction is rolled back)' },
      timeoutMs: 15_000,
    },
    {
      id: 'resume-paused',
      title: 'Resume any paused database',
      why: 'Someone may have sent PAUSE while investigating (or a failover script did and stopped halfway): a paused database holds every client. RESUME lets them through.',
      expect: 'No database is paused (RESUME sent for any that was).',
      command: consoleAction('SHOW DATABASES', 'then RESUME <database> for each database with paused = 1'),
      manual: `On the PgBouncer host: ${consolePsql('SHOW DATABASES')}; for each paused one: ${consolePsql('RESUME <database>')}.`,
      timeoutMs: 15_000,
      async run(ctx) {
        const pooler = poolerOf(ctx);
        const paused = (await pooler.admin('SHOW DATABASES')).filter((r) => r.name !== 'pgbouncer' && Number(r.paused) !== 0).map((r) => String(r.name));
        if (paused.length === 0) ctx.output('no database is paused');
        for (const name of paused) {
          if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`the paused database "${name}" has a name this step will not send to the console: RESUME it by hand`);
          await pooler.admin(`RESUME ${name}`);
          ctx.output(`RESUME ${name}`);
        }
      },
    },
    verifyPoolsStep('No client waiting; nothing paused.'),
    verifyServiceStep('GET /health answers 200 within a second, through PgBouncer.'),
  ],
});
