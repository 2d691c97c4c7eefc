import pg from 'pg';
import type { Fault } from './fault.ts';

/** application_name of the blocking session, so a runbook (or a person) can find it. */
export const BLOCKER_APPLICATION = 'pgdrill-blocker';

/**
 * A session takes `ACCESS EXCLUSIVE` on a table inside an open transaction
 * and sits there, so every query on the table queues behind it until
 * statement timeouts fire: the seed's slow query caused by a lock. The
 * session disables its own idle-in-transaction timeout, as a runaway
 * migration or a forgotten psql session would have it. Revert ends the
 * session if the runbook has not terminated it already.
 */
export function lockBlocker(options: { database?: string; table?: string } = {}): Fault {
  let client: pg.Client | undefined;
  return {
    name: 'lock-blocker',
    description: `a session holds ACCESS EXCLUSIVE on ${options.table ?? "the system's ledger table (payments)"} in an open transaction`,
    async inject(ctx) {
      // Default: the system under drill's database and ledger table.
      const database = options.database ?? ctx.system.database;
      const table = options.table ?? ctx.system.ledger.table;
      const schema = options.table ? undefined : ctx.system.ledger.schema;
      client = new pg.Client({ connectionString: ctx.target.adminUrl(database), application_name: BLOCKER_APPLICATION });
      client.on('error', () => {});
      await client.connect();
      await client.query('SET idle_in_transaction_session_timeout = 0');
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${schema ? `${pg.escapeIdentifier(schema)}.` : ''}${pg.escapeIdentifier(table)} IN ACCESS EXCLUSIVE MODE`);
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      return { detail: `backend ${rows[0].pid} holds ACCESS EXCLUSIVE on ${table}` };
    },
    async revert() {
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => {});
    },
  };
}
