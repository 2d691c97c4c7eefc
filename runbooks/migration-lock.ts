import pg from 'pg';
import { defineRunbook, type StepContext } from '../src/core/runbook.ts';
import { MIGRATION_COLUMN } from '../src/faults/migration-lock.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { runbookState } from '../src/steps/runbook-state.ts';
import { SAMPLE_SYSTEM } from '../src/system/system.ts';

/** The hot table: the system under drill's ledger table (the sample's payments_db.public.payments). */
function tableOf(ctx: StepContext): { database: string; qualified: string; name: string } {
  const system = ctx.system ?? SAMPLE_SYSTEM;
  const { schema, table } = system.ledger;
  return { database: system.database, qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`, name: `${schema}.${table}` };
}

/** What the steps found: the migration's backend and the table's storage before it. */
const state = runbookState<{ pid: number; filenode: number }>('migration-lock');

const LOCK_QUEUE = `SELECT a.pid, a.application_name, l.mode, l.granted, a.state,
       pg_blocking_pids(a.pid) AS blocked_by,
       round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)) * 1000)::int AS for_ms,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 100) AS query
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.relation = $1::regclass AND a.pid <> pg_backend_pid()
 ORDER BY l.granted DESC, a.query_start LIMIT 25`;

/** The session that holds a lock on the table which others wait for. */
const HOLDER = `SELECT a.pid, a.application_name, a.usename, a.state,
       round(extract(epoch FROM now() - a.xact_start) * 1000)::int AS transaction_ms,
       (SELECT count(*) FROM pg_stat_activity w WHERE a.pid = ANY (pg_blocking_pids(w.pid)))::int AS sessions_waiting,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200) AS query
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.relation = $1::regclass AND l.granted AND l.mode = 'AccessExclusiveLock' AND a.pid <> pg_backend_pid()
 ORDER BY a.xact_start LIMIT 1`;

const WAITING = 'SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0';

/**
 * Recovery runbook for a schema migration that holds ACCESS EXCLUSIVE on a
 * hot table: see the queue behind the lock, identify the migration's
 * session, cancel its statement (then terminate the session if it still
 * holds anything), confirm that its transaction rolled back completely (DDL
 * is transactional), verify the service, and check that migrations run
 * with a lock_timeout from now on.
 */
export default defineRunbook({
  id: 'migration-lock',
  title: 'A migration locks a hot table',
  summary:
    "Use when requests on one table time out during a deploy and the database shows sessions waiting on a lock held by a migration. Stop the migration (its transaction rolls back: PostgreSQL DDL is transactional), let the queue drain, then change the migration to its safe form before running it again: SET lock_timeout so it gives up instead of queueing everyone, and steps that do not rewrite the table under ACCESS EXCLUSIVE (see `pgdrill migration lint`).",
  steps: [
    {
      id: 'see-lock-queue',
      title: 'See the queue of sessions behind the lock',
      why: 'pg_locks joined to pg_stat_activity shows, for the hot table, the session that was granted its lock and every session waiting (granted = false), and pg_blocking_pids() names whom each one waits for. A migration needs ACCESS EXCLUSIVE, which conflicts with everything, even SELECT; while it waits or holds it, every query on the table queues.',
      expect: 'One session granted AccessExclusiveLock (the migration), many service sessions waiting with it in blocked_by.',
      command: { kind: 'action', text: LOCK_QUEUE.replace('$1', "'<table>'") },
      timeoutMs: 15_000,
      async run(ctx) {
        const t = tableOf(ctx);
        const rows = await ctx.sql(t.database, LOCK_QUEUE, [t.qualified]);
        for (const r of rows) ctx.output(`pid ${r.pid} ${r.application_name || '-'} ${r.mode} ${r.granted ? 'granted' : 'WAITING'} for ${r.for_ms} ms blocked_by {${(r.blocked_by as number[] | null)?.join(',') ?? ''}} ${r.query}`);
        if (rows.length === 0) ctx.output(`no session holds or waits for a lock on ${t.name}`);
      },
    },
    {
      id: 'identify-migration',
      title: "Identify the migration's session",
      why: 'The session granted ACCESS EXCLUSIVE on the table that others wait on is the one to stop; its query and application_name show that it is the migration (deploy tools set application_name), and how long its transaction has been open. Note the table\'s storage (relfilenode) now: a rewrite that commits would give the table new storage.',
      expect: 'One session: its pid, application, how long its transaction has been open, how many sessions wait on it, and its query (an ALTER TABLE, or a later statement of the same transaction).',
      command: { kind: 'action', text: HOLDER.replace('$1', "'<table>'") },
      timeoutMs: 15_000,
      async run(ctx) {
        const t = tableOf(ctx);
        state.reset(ctx);
        const [holder] = await ctx.sql(t.database, HOLDER, [t.qualified]);
        if (!holder) throw new Error(`no session holds ACCESS EXCLUSIVE on ${t.name}: look at the lock queue again (a migration may be waiting for its lock behind a long transaction: then stop that one)`);
        const [file] = await ctx.sql(t.database, 'SELECT pg_relation_filenode($1::regclass)::int AS filenode', [t.qualified]);
        state.set(ctx, 'pid', Number(holder.pid));
        state.set(ctx, 'filenode', Number(file?.filenode));
        ctx.output(`pid ${holder.pid} (${holder.application_name || 'no application_name'}, user ${holder.usename}, ${holder.state}) has held ${t.name} for ${holder.transaction_ms} ms; ${holder.sessions_waiting} sessions wait on it`);
        ctx.output(`its query: ${holder.query}`);
      },
    },
    {
      id: 'cancel-migration',
      title: "Cancel the migration's statement",
      why: "pg_cancel_backend() cancels the statement the migration is running; the error aborts its transaction and releases its locks at once, and everything the transaction did (the ALTER TABLE included: PostgreSQL DDL is transactional) is rolled back. Cancel first: it is the gentlest stop and the deploy tool sees an error it can report.",
      expect: 'pg_cancel_backend returns true; the waiting sessions proceed within a second.',
      command: { kind: 'action', text: 'SELECT pg_cancel_backend(<pid>)' },
      destructive: { touches: "the migration's transaction (it is rolled back)" },
      timeoutMs: 15_000,
      verifyIntervalMs: 200,
      async run(ctx) {
        const { pid } = state.of(ctx);
        if (!pid) throw new Error('no migration session was identified (step identify-migration)');
        const [row] = await ctx.sql('postgres', 'SELECT pg_cancel_backend($1) AS cancelled', [pid]);
        ctx.output(`pg_cancel_backend(${pid}) → ${row?.cancelled}`);
      },
      async verify(ctx) {
        const [row] = await ctx.sql('postgres', WAITING);
        return { ok: Number(row?.waiting) === 0, detail: `${row?.waiting} sessions still wait on a lock` };
      },
    },
    {
      id: 'terminate-migration',
      title: "End the migration's session if it is still there",
      why: 'A cancel only stops a running statement: a migration idle in its open transaction (or a tool that ignores the error) keeps the session, and an idle transaction would keep its locks. pg_terminate_backend() ends the session and rolls back whatever it still holds.',
      expect: 'The session is gone (terminated, or it had already disconnected).',
      command: { kind: 'action', text: 'SELECT pg_terminate_backend(<pid>)' },
      destructive: { touches: "the migration's session" },
      timeoutMs: 15_000,
      verifyIntervalMs: 200,
      async run(ctx) {
        const { pid } = state.of(ctx);
        if (!pid) throw new Error('no migration session was identified (step identify-migration)');
        const [row] = await ctx.sql('postgres', 'SELECT state, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE pid = $1', [pid]);
        ctx.output(row ? `session ${pid} was ${row.state}: pg_terminate_backend → ${row.terminated}` : `session ${pid} had already ended`);
      },
      async verify(ctx) {
        const { pid } = state.of(ctx);
        const [row] = await ctx.sql('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
        return { ok: Number(row?.n) === 0, detail: Number(row?.n) === 0 ? `session ${pid} is gone` : `session ${pid} is still there` };
      },
    },
    {
      id: 'confirm-rolled-back',
      title: 'Confirm that the migration rolled back completely',
      why: "DDL in PostgreSQL is transactional: a migration stopped before COMMIT leaves no half-applied schema. Check it rather than trust it: the table has the storage it had (a committed rewrite gives it a new relfilenode), the migration's column is absent, and no lock on the table remains granted to anyone but the service.",
      expect: `Same relfilenode as before, no column ${MIGRATION_COLUMN} (the column the drill's migration adds; in production: the schema change of the migration file), no ACCESS EXCLUSIVE lock on the table.`,
      command: { kind: 'action', text: "SELECT pg_relation_filenode('<table>'), (SELECT count(*) FROM pg_attribute WHERE attrelid = '<table>'::regclass AND attname = '<column>' AND NOT attisdropped)" },
      timeoutMs: 15_000,
      async run(ctx) {
        ctx.output(`checking ${tableOf(ctx).name} against what identify-migration recorded (relfilenode ${state.of(ctx).filenode ?? 'not recorded'})`);
      },
      async verify(ctx) {
        const t = tableOf(ctx);
        const { filenode } = state.of(ctx);
        const [row] = await ctx.sql(
          t.database,
          "SELECT pg_relation_filenode($1::regclass)::int AS filenode, (SELECT count(*)::int FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped) AS added, (SELECT count(*)::int FROM pg_locks WHERE locktype = 'relation' AND relation = $1::regclass AND mode = 'AccessExclusiveLock') AS exclusive",
          [t.qualified, MIGRATION_COLUMN],
        );
        const same = filenode === undefined || Number(row?.filenode) === filenode;
        const ok = same && Number(row?.added) === 0 && Number(row?.exclusive) === 0;
        return { ok, detail: `relfilenode ${row?.filenode}${same ? ' (unchanged)' : ` (was ${filenode}: the rewrite committed)`}, column ${MIGRATION_COLUMN} ${Number(row?.added) ? 'PRESENT' : 'absent'}, ${row?.exclusive} ACCESS EXCLUSIVE lock(s)` };
      },
    },
    verifyServiceStep('GET /health answers 200 in under 500 ms.', 500),
    {
      id: 'check-lock-timeout',
      title: 'Check that migrations give up instead of queueing everyone',
      why: "With lock_timeout set (e.g. SET lock_timeout = '3s' at the top of the migration, or ALTER ROLE <migration role> SET lock_timeout), a migration that cannot get its lock fails after 3 s instead of holding the queue; the deploy retries later. The safe forms avoid long ACCESS EXCLUSIVE holds: add a column nullable (or with a constant default), backfill in batches, then constrain (ADD CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT); CREATE INDEX CONCURRENTLY; a type change as a new column. `pgdrill migration lint` flags the others.",
      expect: 'The lock_timeout each role and database has by default; 0 (no timeout) for the role that runs migrations is the finding to fix.',
      command: { kind: 'action', text: "SELECT coalesce(r.rolname, '(all roles)') AS role, coalesce(d.datname, '(all databases)') AS database, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase" },
      timeoutMs: 15_000,
      async run(ctx) {
        const [server] = await ctx.sql('postgres', "SELECT setting FROM pg_settings WHERE name = 'lock_timeout'");
        const rows = await ctx.sql('postgres', "SELECT coalesce(r.rolname, '(all roles)') AS role, coalesce(d.datname, '(all databases)') AS database, c AS setting FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase CROSS JOIN LATERAL unnest(s.setconfig) AS c WHERE c LIKE 'lock_timeout=%'");
        ctx.output(`server default lock_timeout = ${server?.setting} ms${Number(server?.setting) === 0 ? ' (none: a migration waits for its lock forever and every query queues behind it)' : ''}`);
        for (const r of rows) ctx.output(`${r.role} in ${r.database}: ${r.setting}`);
        if (rows.length === 0) ctx.output("no role or database sets lock_timeout: add SET lock_timeout = '3s' to migrations (or ALTER ROLE <migration role> SET lock_timeout = '3s')");
      },
    },
  ],
});
