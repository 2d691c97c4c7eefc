import pg from 'pg';
import { UserError } from '../core/errors.ts';
import type { Lab } from '../lab/lab.ts';
import type { ScratchCluster } from '../lab/scratch-cluster.ts';
import { insertedCount } from './pitr.ts';
import { copiedColumns, rowKey, verifiedCopy } from './verified-copy.ts';

/** One heap block that cannot be read, with the server's error. */
export interface DamagedBlock {
  block: number;
  error: string;
}

/**
 * The TID-range condition selecting the rows of some blocks (PostgreSQL 14+
 * reads only those blocks), one range per run of consecutive blocks: a
 * thousand damaged blocks in a row are one range, not a thousand ORs.
 */
export function blocksCondition(blocks: readonly number[]): string {
  const sorted = [...new Set(blocks)].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const b of sorted) {
    const last = runs.at(-1);
    if (last && b === last[1] + 1) last[1] = b;
    else runs.push([b, b]);
  }
  if (runs.length === 0) return 'false';
  return runs.map(([from, to]) => `(ctid >= '(${from},0)'::tid AND ctid < '(${to + 1},0)'::tid)`).join(' OR ');
}

/**
 * Reads every block of a table, one TID-range scan per block inside its own
 * subtransaction, and returns the blocks whose read fails with
 * `data_corrupted` (SQLSTATE XX001: "invalid page in block N of relation
 * ..."; with data checksums on, any changed byte fails the page checksum).
 * Read-only; runs as the lab's superuser in one session.
 */
export async function findDamagedBlocks(lab: Lab, database: string, schema: string, table: string): Promise<{ blocks: DamagedBlock[]; totalBlocks: number; relationPath: string }> {
  const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
  const client = new pg.Client({ connectionString: lab.adminUrl(database), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SET statement_timeout = 0');
    const [info] = (await client.query("SELECT pg_relation_filepath($1::regclass) AS path, (pg_relation_size($1::regclass) / current_setting('block_size')::int)::bigint AS blocks", [qualified])).rows as Array<{ path: string; blocks: string }>;
    await client.query('CREATE TEMP TABLE IF NOT EXISTS pgdrill_damaged_blocks (block bigint, error text)');
    await client.query('TRUNCATE pgdrill_damaged_blocks');
    await client.query(`DO $$
DECLARE b bigint;
BEGIN
  FOR b IN 0 .. ${Number(info!.blocks)} - 1 LOOP
    BEGIN
      PERFORM count(*) FROM ${qualified} WHERE ctid >= format('(%s,0)', b)::tid AND ctid < format('(%s,0)', b + 1)::tid;
    EXCEPTION WHEN data_corrupted THEN
      INSERT INTO pgdrill_damaged_blocks VALUES (b, SQLERRM);
    END;
  END LOOP;
END $$`);
    const rows = (await client.query('SELECT block::int AS block, error FROM pgdrill_damaged_blocks ORDER BY block')).rows as DamagedBlock[];
    await client.query('DROP TABLE pgdrill_damaged_blocks');
    return { blocks: rows, totalBlocks: Number(info!.blocks), relationPath: info!.path };
  } finally {
    await client.end().catch(() => {});
  }
}

/** What a page repair did. */
export interface PageRepairResult {
  /** Rows of the damaged blocks in the side cluster (the restored copy). */
  rowsInSide: number;
  /** Of those, rows inserted back into the live table. */
  inserted: number;
  /** Rows the live table held after the repair. */
  liveRows: number;
}

/**
 * Repairs damaged heap blocks of a live table from a side cluster restored
 * by PITR to just now (the same physical layout: its block N is the live
 * block N as PostgreSQL last wrote it). In one transaction on the live
 * database, as superuser: `zero_damaged_pages` lets a rewrite (`CLUSTER`
 * on the primary key) read past the damaged blocks (their rows are left
 * out), the rewritten table gets a new file (the damaged one is removed at
 * commit), and the rows of those blocks are copied from the side cluster
 * and inserted (`ON CONFLICT DO NOTHING`). Readers never see the table
 * without those rows; writers wait for the table lock while it runs.
 */
export async function repairDamagedBlocks(lab: Lab, side: ScratchCluster, database: string, schema: string, table: string, blocks: readonly number[]): Promise<PageRepairResult> {
  if (blocks.length === 0) throw new UserError(`No damaged block of ${schema}.${table} was given: nothing to repair.`);
  const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
  const [pkey] = await lab.query(database, 'SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = $1::regclass AND indisprimary', [qualified]);
  if (!pkey) throw new UserError(`${schema}.${table} has no primary key: pgdrill repairs damaged blocks by rewriting the table on it and re-inserting the lost rows without duplicates.`, 'Repair it by hand: restore the table from the side cluster with pg_dump -t.');
  const cols = await copiedColumns(lab, database, qualified);
  const copied = await verifiedCopy(lab, side, {
    label: `${schema}.${table}`,
    database,
    select: `SELECT ${cols} FROM ${qualified} WHERE ${blocksCondition(blocks)}`,
    key: await rowKey(side, database, qualified, cols),
    prepare: ['SET LOCAL zero_damaged_pages = on', `CLUSTER ${qualified} USING ${String(pkey.name)}`, `CREATE TEMP TABLE pgdrill_page_repair (LIKE ${qualified}) ON COMMIT DROP`],
    into: `pgdrill_page_repair (${cols})`,
    received: 'pgdrill_page_repair',
    apply: [`WITH ins AS (INSERT INTO ${qualified} (${cols}) SELECT ${cols} FROM pgdrill_page_repair ON CONFLICT DO NOTHING RETURNING 1) SELECT 'inserted:' || count(*) FROM ins`],
  });
  const [live] = await lab.query(database, `SELECT count(*)::bigint AS n FROM ${qualified}`);
  return { rowsInSide: copied.expected.rows, inserted: insertedCount(copied.output), liveRows: Number(live?.n) };
}
