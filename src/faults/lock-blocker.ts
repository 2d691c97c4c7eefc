import pg from 'pg';
import { faultTable } from '../system/fault-table.ts';
import { sleep } from '../util/sleep.ts';
import type { Fault } from './fault.ts';

/** application_name of the blocking session, so a runbook (or a person) can find it. */
export const BLOCKER_APPLICATION = 'pgdrill-blocker';

/**
 * What the blocking session runs instead of a bare `LOCK TABLE`: a
 * statement (one simple query, several statements allowed) that takes
 * ACCESS EXCLUSIVE on the table and stays busy holding it, e.g. a migration
 * whose ALTER TABLE is followed by a long step in the same transaction.
 */
export interface HeldStatement {
  /** The SQL, given the table's quoted identifier. It must open a transaction that takes ACCESS EXCLUSIVE on the table and not end it. */
  sql: (qualified: string) => string;
  /** How the fault names itself and describes what breaks. */
  name: string;
  description: string;
  /** application_name of its session. */
  applicationName: string;
}

/**
 * A session takes `ACCESS EXCLUSIVE` on a table inside an open transaction
 * and sits there, so every query on the table queues behind it until
 * statement timeouts fire: the seed's slow query caused by a lock. The
 * session disables its own idle-in-transaction and lock timeouts, as a
 * runaway migration or a forgotten psql session would have it. With
 * `held`, the session runs that statement (still running while it holds
 * the lock) instead of idling after `LOCK TABLE`. Revert ends the session
 * (terminating its backend if it is still busy) if the runbook has not
 * already.
 */
export function lockBlocker(options: { database?: string; table?: string; held?: HeldStatement } = {}): Fault {
  let client: pg.Client | undefined;
  let pid: number | undefined;
  const held = options.held;
  return {
    name: held?.name ?? 'lock-blocker',
    description: held?.description ?? `a session holds ACCESS EXCLUSIVE on ${options.table ?? "the system's ledger table (payments)"} in an open transaction`,
    async inject(ctx) {
      // Default: the system under drill's database and ledger table.
      const t = faultTable(ctx, options);
      client = new pg.Client({ connectionString: ctx.target.adminUrl(t.database), application_name: held?.applicationName ?? BLOCKER_APPLICATION });
      client.on('error', () => {});
      await client.connect();
      pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      await client.query('SET idle_in_transaction_session_timeout = 0; SET lock_timeout = 0; SET statement_timeout = 0');
      if (!held) {
        await client.query('BEGIN');
        await client.query(`LOCK TABLE ${t.qualified} IN ACCESS EXCLUSIVE MODE`);
        return { detail: `backend ${pid} holds ACCESS EXCLUSIVE on ${t.table}` };
      }
      // The statement keeps running while it holds the lock: wait until the lock is granted.
      let failed: unknown;
      client.query(held.sql(t.qualified)).catch((error: unknown) => { failed = error; });
      for (let i = 0; i < 300; i++) {
        const [row] = await ctx.target.query(t.database, "SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND relation = $2::regclass AND mode = 'AccessExclusiveLock' AND granted", [pid, t.qualified]);
        if (row) return { detail: `backend ${pid} (${held.applicationName}) holds ACCESS EXCLUSIVE on ${t.table}: ${held.sql(t.qualified).replace(/\s+/g, ' ')}` };
        if (failed) throw new Error(`the ${held.name} statement failed before it took its lock: ${failed instanceof Error ? failed.message : String(failed)}`);
        await sleep(50);
      }
      throw new Error(`the ${held.name} session did not get ACCESS EXCLUSIVE on ${t.table} within 15 s`);
    },
    async revert(ctx) {
      const c = client;
      const p = pid;
      client = undefined;
      pid = undefined;
      // A busy backend does not notice its client leaving until its statement ends: terminate it first.
      if (held && p !== undefined) await ctx.target.query('postgres', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1', [p]).catch(() => {});
      if (c) await c.end().catch(() => {});
    },
  };
}
