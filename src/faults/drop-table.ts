import { removeScratchClusters } from '../restore/pitr.ts';
import type { Fault } from './fault.ts';
import { tableIdentifier } from '../util/sql-names.ts';

/**
 * Someone runs `DROP TABLE <table> CASCADE` while the service takes
 * writes: the table, its indexes and grants, and the foreign keys pointing
 * at it are gone; every read and write of the service fails until the
 * table is restored. Evidence: the rows the table held. `revert` only
 * removes side clusters a runbook left behind.
 */
export function dropTable(options: { database?: string; table?: string } = {}): Fault {
  const database = options.database ?? 'payments_db';
  const table = options.table ?? 'payments';
  return {
    name: 'drop-table',
    description: `DROP TABLE ${table} CASCADE in ${database}: the table and the foreign keys to it are gone`,
    async inject(ctx) {
      const [row] = await ctx.lab.query(database, `SELECT count(*)::bigint AS n FROM ${tableIdentifier(table)}`);
      const rows = Number(row?.n);
      await ctx.lab.query(database, `DROP TABLE ${tableIdentifier(table)} CASCADE`);
      return { detail: `dropped ${database}.${table} (${rows} rows)` };
    },
    async revert(ctx) {
      await removeScratchClusters(ctx.lab);
    },
  };
}
