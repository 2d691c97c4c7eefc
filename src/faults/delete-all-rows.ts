import pg from 'pg';
import { removeScratchClusters } from '../restore/pitr.ts';
import type { Fault, FaultContext } from './fault.ts';

/** The table a table fault acts on: the one given, else the system under drill's ledger table (the sample's payments). */
export function faultTable(ctx: FaultContext, options: { database?: string; table?: string }): { database: string; name: string; qualified: string } {
  const database = options.database ?? ctx.system.database;
  const schema = options.table ? 'public' : ctx.system.ledger.schema;
  const table = options.table ?? ctx.system.ledger.table;
  return { database, name: schema === 'public' ? `${database}.${table}` : `${database}.${schema}.${table}`, qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}` };
}

/**
 * Someone runs `DELETE FROM <table>` without a WHERE clause, as superuser,
 * while the service takes writes: every row is gone (and, through ON
 * DELETE CASCADE, the rows that referenced them). Reads of earlier
 * writes answer 404 until the rows are back. The table: the one given, else
 * the system under drill's ledger table. Evidence: the number of rows
 * deleted. `revert` cannot undo a committed DELETE (the runbook does); it
 * only removes side clusters a runbook left behind.
 */
export function deleteAllRows(options: { database?: string; table?: string } = {}): Fault {
  return {
    name: 'delete-all-rows',
    persistsInLab: true,
    description: `DELETE FROM ${options.table ?? 'the ledger table (payments)'} without WHERE: every row is deleted and committed`,
    async inject(ctx) {
      const t = faultTable(ctx, options);
      const [row] = await ctx.lab.query(t.database, `WITH d AS (DELETE FROM ${t.qualified} RETURNING 1) SELECT count(*)::bigint AS n FROM d`);
      return { detail: `deleted ${Number(row?.n)} rows from ${t.name}` };
    },
    async revert(ctx) {
      await removeScratchClusters(ctx.lab);
    },
  };
}
