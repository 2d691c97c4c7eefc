import { defineRunbook } from '../src/core/runbook.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';

/** The statements that make the server end forgotten transactions: shown and run from this one list. */
const SET_IDLE_TIMEOUT = ["ALTER SYSTEM SET idle_in_transaction_session_timeout = '30s'", 'SELECT pg_reload_conf()'];

const BY_STATE = `SELECT coalesce(state, 'unknown') AS state, usename, application_name, count(*)::int AS connections,
       max(round(extract(epoch FROM now() - state_change)))::int AS longest_in_state_s
  FROM pg_stat_activity WHERE backend_type = 'client backend'
 GROUP BY 1, 2, 3 ORDER BY 4 DESC`;

// The seed's query (`WHERE state = 'idle' AND idle_in_transaction`) does not run: there is no
// such column. Idle-in-transaction sessions have their own states.
const TERMINATE_IDLE = `SELECT state, count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
  FROM pg_stat_activity
 WHERE backend_type = 'client backend'
   AND state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')
   AND pid <> pg_backend_pid()
   AND usename <> current_user
 GROUP BY state`;

/**
 * The seed's "too many connections": count connections by state, end the
 * idle and idle-in-transaction sessions that hold them, make the server end
 * forgotten transactions by itself, and check there is headroom again.
 */
export default defineRunbook({
  id: 'connection-exhaustion',
  title: 'The database has no free connections',
  summary:
    'Use when services fail with "sorry, too many clients already" (SQLSTATE 53300). Find who holds the connections and in which state, free the idle ones, and stop idle transactions from piling up again.',
  steps: [
    {
      id: 'count-by-state',
      title: 'Count connections by state, user and application',
      why: 'max_connections is shared by every service. Sessions that are idle, or worse idle in a transaction (holding locks and a snapshot), take slots without doing work. Knowing who holds them tells you which service or job to fix afterwards.',
      expect: 'Many idle and idle-in-transaction sessions from one or a few applications, close to max_connections in total.',
      command: { kind: 'sql', database: 'postgres', text: BY_STATE },
      timeoutMs: 15_000,
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', "SELECT count(*)::int AS used, current_setting('max_connections')::int AS max FROM pg_stat_activity WHERE backend_type = 'client backend'");
        return { ok: true, detail: `${row?.used} of ${row?.max} connections in use` };
      },
    },
    {
      id: 'terminate-idle',
      title: 'Terminate idle and idle-in-transaction sessions',
      why: 'Ending an idle session frees its slot at once; an idle-in-transaction session is rolled back, which is what its owner failed to do. Your own superuser sessions are left alone (the server keeps superuser_reserved_connections for exactly this). Pools reconnect by themselves.',
      expect: 'The idle and idle-in-transaction sessions are terminated (counts by state).',
      command: { kind: 'sql', database: 'postgres', text: TERMINATE_IDLE },
      destructive: { touches: 'every idle and idle-in-transaction session of other users (open transactions are rolled back)' },
      timeoutMs: 15_000,
    },
    {
      id: 'set-idle-transaction-timeout',
      title: 'Make the server end forgotten transactions by itself',
      why: 'idle_in_transaction_session_timeout ends a session that sits in an open transaction longer than the limit (the seed advises 30 s), so a leaking client cannot exhaust the server again. ALTER SYSTEM keeps it across restarts; pg_reload_conf() applies it to new sessions.',
      expect: 'idle_in_transaction_session_timeout is 30s.',
      // ALTER SYSTEM cannot run inside a transaction block: two statements, each on its own (as psql runs each -c).
      command: { kind: 'shell', text: `psql -d postgres ${SET_IDLE_TIMEOUT.map((sql) => `-c "${sql}"`).join(' ')}` },
      timeoutMs: 15_000,
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', "SELECT setting, unit, pending_restart FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'");
        return { ok: row?.setting === '30000', detail: `idle_in_transaction_session_timeout = ${row?.setting} ${row?.unit ?? ''}` };
      },
    },
    {
      id: 'verify-headroom',
      title: 'Check that there is headroom again',
      why: 'Freed slots can be taken again at once by whatever exhausted them. Headroom of at least a pool size means the services can reconnect.',
      expect: 'Well over 10 free connections.',
      timeoutMs: 20_000,
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - count(*)::int AS free FROM pg_stat_activity WHERE backend_type = 'client backend'");
        return { ok: Number(row?.free) >= 10, detail: `${row?.free} connections free` };
      },
    },
    verifyServiceStep('GET /health answers 200 again.'),
  ],
});
