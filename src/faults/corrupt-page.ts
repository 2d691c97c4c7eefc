import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { removeScratchClusters } from '../restore/pitr.ts';
import { findDamagedBlocks } from '../restore/page-repair.ts';
import { embeddedLab, type Fault } from './fault.ts';
import { faultTable } from '../system/fault-table.ts';

const BLOCK_SIZE = 8192;

/**
 * Heap pages of `payments` go bad on disk while the server runs (a
 * firmware bug, a misdirected write): bytes inside the first blocks of the
 * table's file (those holding the `readIds` smallest ids, which the drill's
 * load reads) are overwritten. Data checksums are on, so PostgreSQL refuses the
 * page ("invalid page in block N", SQLSTATE XX001) the next time it reads
 * it from disk; until then it serves its cached copy. To make that read
 * happen without restarting the server under load, the fault rewrites the
 * table first (`CLUSTER` on its primary key, inside a transaction that
 * holds the table lock, ~0.5 s for 40 MB): the rewrite writes the new file
 * around shared buffers, and its index builds read it through a small ring
 * when the table is larger than a quarter of shared_buffers (the
 * scenario's setup makes it so), so no page of the new file is cached. The
 * damage is written into the new file before that transaction commits: no
 * session can have read the pages in between. After CLUSTER, the first
 * blocks hold the smallest ids, the payments the load reads.
 *
 * Evidence: the block, the file and the error a read now gets. `revert`
 * removes side clusters a runbook left behind and, if the page is still
 * damaged (the runbook failed), zeroes it (its rows are lost from the lab)
 * so the lab stays usable.
 */
export function corruptPage(options: { database?: string; table?: string; readIds?: number } = {}): Fault {
  const readIds = options.readIds ?? 200;
  return {
    name: 'corrupt-page',
    persistsInLab: true,
    description: `bytes of the heap pages holding the ${readIds} smallest ids of ${options.table ?? 'the ledger table (payments in the sample)'} are overwritten on disk (checksums on)`,
    async inject(ctx) {
      const lab = embeddedLab(ctx, 'The corrupt-page fault');
      const { database, table, qualified: sqlTable, name } = faultTable(ctx, options);
      const client = new pg.Client({ connectionString: lab.adminUrl(database), connectionTimeoutMillis: 5000 });
      client.on('error', () => {});
      await client.connect();
      let file: string;
      let blocks = 0;
      try {
        await client.query('SET statement_timeout = 0');
        const [size] = (await client.query(`SELECT (SELECT count(*) FROM ${sqlTable}) AS n, pg_relation_size($1::regclass) AS rel, pg_size_bytes(current_setting('shared_buffers')) AS buffers, (SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = $1::regclass AND indisprimary) AS pkey`, [sqlTable])).rows as Array<{ n: string; rel: string; buffers: string; pkey: string }>;
        if (Number(size!.rel) <= Number(size!.buffers) / 4) {
          throw new Error(`${table} holds ${Math.round(Number(size!.rel) / 1048576)} MB, not more than a quarter of shared_buffers: its pages would stay cached and the damage would not be read (the table-corruption scenario's setup grows it)`);
        }
        await client.query('BEGIN');
        await client.query(`CLUSTER ${sqlTable} USING ${size!.pkey}`);
        const [rel] = (await client.query('SELECT pg_relation_filepath($1::regclass) AS path, pg_relation_size($1::regclass) AS size', [sqlTable])).rows as Array<{ path: string; size: string }>;
        // Rows are in id order now: the smallest ids (those the load reads) fill the first blocks.
        const pages = Math.max(1, Math.floor(Number(rel!.size) / BLOCK_SIZE));
        const perPage = Math.max(1, Number(size!.n) / pages);
        blocks = Math.min(pages, Math.ceil(readIds / perPage) + 1);
        file = path.join(lab.paths.dataDir, rel!.path);
        // The middle of each page: tuple data; the header stays plausible, only the checksum tells.
        const fd = openSync(file, 'r+');
        try {
          for (let b = 0; b < blocks; b++) writeSync(fd, randomBytes(512), 0, 512, b * BLOCK_SIZE + 4096);
        } finally {
          closeSync(fd);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        await client.end().catch(() => {});
      }
      const probe = new pg.Client({ connectionString: lab.adminUrl(database), connectionTimeoutMillis: 5000 });
      probe.on('error', () => {});
      await probe.connect();
      let seen = 'block 0 still reads (it was cached): the damage is not visible';
      try {
        await probe.query(`SELECT count(*) FROM ${sqlTable} WHERE ctid >= '(0,0)'::tid AND ctid < '(1,0)'::tid`);
      } catch (error) {
        seen = `a read now fails: ${(error as Error).message}`;
      } finally {
        await probe.end().catch(() => {});
      }
      return { detail: `512 bytes of each of blocks 0–${blocks - 1} of ${name} (${path.relative(lab.paths.dataDir, file)}) overwritten on disk; ${seen}` };
    },
    async revert(ctx) {
      if (!ctx.lab) return;
      const lab = ctx.lab;
      await removeScratchClusters(lab);
      if (!(await lab.isRunning())) return;
      const { database, schema, table, qualified: sqlTable } = faultTable(ctx, options);
      const { blocks } = await findDamagedBlocks(lab, database, schema, table);
      if (blocks.length > 0) {
        ctx.log(`${table} still has ${blocks.length} damaged block(s): zeroing them (their rows are lost from the lab) so the lab stays usable.`);
        const repair = new pg.Client({ connectionString: lab.adminUrl(database), connectionTimeoutMillis: 5000 });
        repair.on('error', () => {});
        await repair.connect();
        try {
          await repair.query('SET statement_timeout = 0');
          await repair.query('SET zero_damaged_pages = on');
          await repair.query(`VACUUM FULL ${sqlTable}`);
        } finally {
          await repair.end().catch(() => {});
        }
      }
    },
  };
}
