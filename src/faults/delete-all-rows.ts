import { removeScratchClusters } from '../restore/pitr.ts';
import type { Fault } from './fault.ts';
import { faultTable } from '../system/fault-table.ts';


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
      const [row] = await ctx.target.query(t.database, `WITH d AS (DELETE FROM ${t.qualified} RETURNING 1) SELECT count(*)::bigint AS n FROM d`);
      return { detail: `deleted ${Number(row?.n)} rows from ${t.name}` };
    },
    async revert(ctx) {
      if (ctx.lab) await removeScratchClusters(ctx.lab);
    },
  };
}
