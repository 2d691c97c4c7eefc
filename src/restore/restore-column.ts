import pg from 'pg';
import { UserError } from '../core/errors.ts';
import type { Lab } from '../lab/lab.ts';
import type { ScratchCluster } from '../lab/scratch-cluster.ts';
import { insertedCount } from './pitr.ts';
import { rowKey, verifiedCopy } from './verified-copy.ts';

/** A column dropped by a migration, as the live catalog still records it (PostgreSQL keeps a dropped column's pg_attribute row). */
export interface DroppedColumn {
  /** Its position in the table (the same in a cluster restored to before the drop). */
  attnum: number;
  /** The transaction that dropped it: the xmin of its pg_attribute row, which the DROP COLUMN updated. */
  xid: string;
}

/** A table and its key, where a column is restored. */
export interface ColumnTable {
  database: string;
  schema: string;
  table: string;
  idColumn: string;
}

/** A column's definition as read from the side cluster. */
export interface ColumnDefinition {
  name: string;
  type: string;
  notNull: boolean;
  /** The default expression, or null. */
  default: string | null;
}

function qualify(t: ColumnTable): string {
  return `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.table)}`;
}

/**
 * The most recently dropped column of a table, from the live catalog: its
 * pg_attribute row is kept (attisdropped) and was last written by the
 * transaction that dropped it, so its xmin names that transaction: the
 * recovery target of a point-in-time recovery to just before the
 * migration. Throws a `UserError` when the table has no dropped column.
 */
export async function findDroppedColumn(lab: Lab, t: ColumnTable): Promise<DroppedColumn> {
  const rows = await lab.query(t.database, 'SELECT attnum::int AS attnum, xmin::text AS xid FROM pg_attribute WHERE attrelid = $1::regclass AND attisdropped ORDER BY age(xmin), attnum DESC LIMIT 1', [qualify(t)]);
  const row = rows[0];
  if (!row) throw new UserError(`The table ${t.database}.${t.schema}.${t.table} has no dropped column.`, 'Check the table named by the failing queries; if the migration changed a type instead, restore the table with the accidental-deletion runbook.');
  return { attnum: Number(row.attnum), xid: String(row.xid) };
}

/** The definition of column `attnum` of the table in the side cluster (restored to before the drop). */
export async function columnDefinition(side: ScratchCluster, t: ColumnTable, attnum: number): Promise<ColumnDefinition> {
  const [row] = await side.query(
    t.database,
    'SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS dflt FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = $1::regclass AND a.attnum = $2 AND NOT a.attisdropped',
    [qualify(t), attnum],
  );
  if (!row) throw new UserError(`The side cluster has no column ${attnum} in ${t.schema}.${t.table}: it was restored to after the column was dropped.`, 'Restore the side cluster again, to just before the migration\'s transaction.');
  return { name: String(row.name), type: String(row.type), notNull: row.not_null === true, default: row.dflt == null ? null : String(row.dflt) };
}

/** What `restoreColumn` did. */
export interface RestoredColumn {
  column: ColumnDefinition;
  /** Rows of the side cluster (that existed before the migration). */
  rowsInSide: number;
  /** Live rows given their value back. */
  updated: number;
  /** Whether NOT NULL was set again (only when no live row is left without a value). */
  notNull: boolean;
}

/**
 * Adds a dropped column back to the live table, with its type and default
 * as the side cluster has them, and gives every row that existed before the
 * migration its value back (matched by the key column), in one transaction
 * on the live database that first checks that the rows arrived whole (see
 * `verifiedCopy`). NOT NULL is set again when no live row is left without a
 * value (rows written after the migration by code that no longer set the
 * column keep NULL, and the constraint waits). Runs as superuser.
 */
export async function restoreColumn(lab: Lab, side: ScratchCluster, t: ColumnTable, column: ColumnDefinition): Promise<RestoredColumn> {
  const q = qualify(t);
  const id = pg.escapeIdentifier(t.idColumn);
  const col = pg.escapeIdentifier(column.name);
  const [idType] = await side.query(t.database, 'SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2', [q, t.idColumn]);
  if (!idType) throw new UserError(`The side cluster's ${t.schema}.${t.table} has no key column ${t.idColumn}.`, 'Check the ledger id column of the system under drill.');
  const copied = await verifiedCopy(lab, side, {
    label: `${t.schema}.${t.table}.${column.name}`,
    database: t.database,
    select: `SELECT ${id}, ${col} FROM ${q}`,
    key: await rowKey(side, t.database, q, `${id}, ${col}`),
    prepare: [
      `ALTER TABLE ${q} ADD COLUMN IF NOT EXISTS ${col} ${column.type}`,
      `CREATE TEMP TABLE pgdrill_column_back (${id} ${String(idType.type)}, ${col} ${column.type}) ON COMMIT DROP`,
    ],
    into: `pgdrill_column_back (${id}, ${col})`,
    received: 'pgdrill_column_back',
    apply: [
      `WITH upd AS (UPDATE ${q} AS t SET ${col} = b.${col} FROM pgdrill_column_back b WHERE t.${id} = b.${id} RETURNING 1) SELECT 'inserted:' || count(*) FROM upd`,
      ...(column.default === null ? [] : [`ALTER TABLE ${q} ALTER COLUMN ${col} SET DEFAULT ${column.default}`]),
      ...(column.notNull ? [`DO $nn$ BEGIN IF NOT EXISTS (SELECT 1 FROM ${q} WHERE ${col} IS NULL) THEN ALTER TABLE ${q} ALTER COLUMN ${col} SET NOT NULL; END IF; END $nn$`] : []),
    ],
  });
  const [nn] = await lab.query(t.database, 'SELECT attnotnull AS nn FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped', [q, column.name]);
  return { column, rowsInSide: copied.expected.rows, updated: insertedCount(copied.output), notNull: nn?.nn === true };
}
