import { removeScratchClusters } from '../restore/pitr.ts';
import { faultTable } from '../system/fault-table.ts';
import type { Fault } from './fault.ts';

/**
 * Someone runs `DROP TABLE <table> CASCADE` while the service takes
 * writes: the table, its indexes and grants, and the foreign keys pointing
 * at it are gone; every read and write of the service fails until the
 * table is restored. The table: the one given, else the system under
 * drill's ledger table. Evidence: the rows the table held. `revert` only
 * removes side clusters a runbook left behind.
 */
export function dropTable(options: { database?: string; table?: string } = {}): Fault {
  return {
    name: 'drop-table',
    persistsInLab: true,
    description: `DROP TABLE ${options.table ?? 'the ledger table (payments)'} CASCADE: the table and the foreign keys to it are gone`,
    async inject(ctx) {
      const t = faultTable(ctx, options);
      const [row] = await ctx.target.query(t.database, `SELECT count(*)::bigint AS n FROM ${t.qualified}`);
      await ctx.target.query(t.database, `DROP TABLE ${t.qualified} CASCADE`);
      return { detail: `dropped ${t.name} (${Number(row?.n)} rows)` };
    },
    async revert(ctx) {
      if (ctx.lab) await removeScratchClusters(ctx.lab);
    },
  };
}
