import pg from 'pg';
import { UserError } from '../core/errors.ts';
import type { FaultContext } from '../faults/fault.ts';

/**
 * Grows a configured system's ledger table past a quarter of
 * shared_buffers (what `corruptPage` needs for the damaged page to be read
 * from disk) by copying its own rows: every column as it is, the id column
 * a fresh `gen_random_uuid()` in the column's type, columns with a default
 * (sequences, timestamps) left to their defaults. The table must hold rows
 * (the schema's seed) and its primary key must be the id column (the fault
 * damages the pages of the smallest ids, which the load reads). A copy that
 * breaks another constraint of the team's schema is a clear error naming
 * it. Runs once per lab: a table already large enough is left alone.
 */
export async function growLedgerTable(ctx: FaultContext): Promise<void> {
  const { database, ledger } = ctx.system;
  const qualified = `${pg.escapeIdentifier(ledger.schema)}.${pg.escapeIdentifier(ledger.table)}`;
  const shown = `${database}.${ledger.schema}.${ledger.table}`;
  const [pkey] = await ctx.target.query(
    database,
    `SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [qualified],
  );
  const keyColumns = (pkey?.cols as string[] | null) ?? [];
  if (keyColumns.length !== 1 || keyColumns[0] !== ledger.idColumn) {
    throw new UserError(
      `table-corruption needs the primary key of ${shown} to be its id column ${ledger.idColumn} (it is ${keyColumns.length ? keyColumns.join(', ') : 'missing'}): the fault damages the pages of the smallest ids, which the load reads.`,
      'Leave table-corruption out of this system\'s scenarios (config `scenarios`), or make the ledger id the primary key.',
    );
  }
  const columns = await ctx.target.query(
    database,
    "SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type, atthasdef AS has_default FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attidentity = '' ORDER BY attnum",
    [qualified],
  );
  const copied = columns.filter((c) => c.name === ledger.idColumn || c.has_default !== true);
  const names = copied.map((c) => pg.escapeIdentifier(String(c.name))).join(', ');
  const values = copied.map((c) => (c.name === ledger.idColumn ? `gen_random_uuid()::text::${String(c.type)}` : pg.escapeIdentifier(String(c.name)))).join(', ');
  const [count] = await ctx.target.query(database, `SELECT count(*)::bigint AS n FROM ${qualified}`);
  if (Number(count?.n) === 0) {
    throw new UserError(`table-corruption grows ${shown} by copying its rows, and it has none.`, 'Seed it (a seed file in system.schema), or leave table-corruption out of this system\'s scenarios.');
  }
  const small = async () => {
    const [row] = await ctx.target.query(database, "SELECT pg_relation_size($1::regclass) <= pg_size_bytes(current_setting('shared_buffers')) / 4 * 1.2 AS small", [qualified]);
    return row?.small === true;
  };
  for (let round = 0; round < 24 && (await small()); round++) {
    try {
      // At most 200,000 rows per round: a few seconds each, however wide the rows.
      await ctx.target.query(database, `INSERT INTO ${qualified} (${names}) SELECT ${values} FROM ${qualified} LIMIT 200000`);
    } catch (error) {
      throw new UserError(
        `table-corruption grows ${shown} by copying its rows with new ids, and the copy breaks the schema: ${(error as Error).message}.`,
        'Leave table-corruption out of this system\'s scenarios (config `scenarios`).',
        { cause: error },
      );
    }
  }
  const [size] = await ctx.target.query(database, `SELECT pg_size_pretty(pg_relation_size($1::regclass)) AS size, (SELECT count(*) FROM ${qualified})::bigint AS n`, [qualified]);
  ctx.log(`${shown} holds ${String(size?.size)} (${String(size?.n)} rows): larger than a quarter of shared_buffers, so a damaged page is read from disk.`);
}
