import { removeScratchClusters } from '../restore/pitr.ts';
import type { Fault } from './fault.ts';
import { tableIdentifier } from '../util/sql-names.ts';

/**
 * Someone runs `DELETE FROM <table>` without a WHERE clause, as superuser,
 * while the service takes writes: every row is gone (and, through ON
 * DELETE CASCADE, the rows that referenced them). Reads of earlier
 * payments answer 404 until the rows are back. Evidence: the number of
 * rows deleted. `revert` cannot undo a committed DELETE (the runbook
 * does); it only removes side clusters a runbook left behind.
 */
export function deleteAllRows(options: { database?: string; table?: string } = {}): Fault {
  const database = options.database ?? 'payments_db';
  const table = options.table ?? 'payments';
  return {
    name: 'delete-all-rows',
    description: `DELETE FROM ${table} without WHERE in ${database}: every row is deleted and committed`,
    async inject(ctx) {
      const [row] = await ctx.lab.query(database, `WITH d AS (DELETE FROM ${tableIdentifier(table)} RETURNING 1) SELECT count(*)::bigint AS n FROM d`);
      return { detail: `deleted ${Number(row?.n)} rows from ${database}.${table}` };
    },
    async revert(ctx) {
      await removeScratchClusters(ctx.lab);
    },
  };
}
