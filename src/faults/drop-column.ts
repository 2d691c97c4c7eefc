import pg from 'pg';
import { removeScratchClusters } from '../restore/pitr.ts';
import { faultTable } from '../system/fault-table.ts';
import type { Fault } from './fault.ts';

/** The column of the sample's payments table the destructive migration drops (the service writes and reads it). */
export const DROPPED_COLUMN = 'currency';

/**
 * A destructive migration is applied: `ALTER TABLE <table> DROP COLUMN
 * <column>` commits (as the migration's owner, the lab's superuser here)
 * while the service still uses the column: its writes and reads fail. The
 * rows stay, their values of that column are gone. Evidence: how many rows
 * held a value. `revert` cannot undo a committed DROP COLUMN (the runbook
 * does, from the pre-deploy backup); it removes side clusters a runbook
 * left behind.
 */
export function dropColumn(options: { database?: string; table?: string; column?: string } = {}): Fault {
  const column = options.column ?? DROPPED_COLUMN;
  return {
    name: 'drop-column',
    persistsInLab: true,
    description: `a migration drops the column ${column} of ${options.table ?? 'the ledger table (payments)'} while the service still uses it`,
    async inject(ctx) {
      const t = faultTable(ctx, options);
      const col = pg.escapeIdentifier(column);
      const [row] = await ctx.target.query(t.database, `SELECT count(${col})::bigint AS n FROM ${t.qualified}`);
      await ctx.target.query(t.database, `ALTER TABLE ${t.qualified} DROP COLUMN ${col}`);
      return { detail: `dropped ${t.name}.${column} (${Number(row?.n)} rows held a value)` };
    },
    async revert(ctx) {
      if (ctx.lab) await removeScratchClusters(ctx.lab);
    },
  };
}
