import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { backupLab, labScratchRoot } from '../../src/backup/lab-backups.ts';
import { UserError } from '../../src/core/errors.ts';
import type { FaultContext } from '../../src/faults/fault.ts';
import { corruptPage } from '../../src/faults/corrupt-page.ts';
import { SAMPLE_SYSTEM } from '../../src/system/system.ts';
import { blocksCondition, findDamagedBlocks, repairDamagedBlocks } from '../../src/restore/page-repair.ts';
import { archiveCurrentWal, copyTableBack, restoreSideCluster, type SideCluster } from '../../src/restore/pitr.ts';
import { fingerprintSql } from '../../src/restore/verified-copy.ts';
import { sleep } from '../../src/util/sleep.ts';
import { startTestLab } from '../helpers/test-lab.ts';

const DB = 'payments_db';
const ROWS = 400_000;

describe('blocksCondition', () => {
  it('one TID range per run of consecutive blocks', () => {
    expect(blocksCondition([])).toBe('false');
    expect(blocksCondition([5, 0, 1, 2, 7, 6, 1])).toBe("(ctid >= '(0,0)'::tid AND ctid < '(3,0)'::tid) OR (ctid >= '(5,0)'::tid AND ctid < '(8,0)'::tid)");
  });
});

describe('copy-back and page repair never commit rows they did not verify (real side cluster, sender killed mid-copy)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let side: SideCluster;
  const fingerprint = async () => {
    const [present] = await env.lab.query(DB, "SELECT to_regclass('public.copy_probe') IS NOT NULL AS present");
    if (!present?.present) return null;
    const [row] = await env.lab.query(DB, fingerprintSql('ROW(id, pad)', 'public.copy_probe'));
    return row;
  };

  /** Terminates the side cluster's backend that runs the COPY as soon as it is seen sending, while `work` (the copy) is still going. */
  async function killSenderMidCopy(work: Promise<unknown>): Promise<number> {
    // The sender starts at once; while the receiver prepares (DDL, CLUSTER) it is blocked on a full pipe, mid-copy.
    let finished: unknown;
    void work.then((outcome) => { finished = outcome ?? 'success'; });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && finished === undefined) {
      const [row] = await side.cluster.query(DB, "SELECT pid, pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%copy_probe%' AND state = 'active' AND pid <> pg_backend_pid()");
      if (row?.killed) return Number(row.pid);
      await sleep(5);
    }
    throw new Error(`never saw the COPY running on the side cluster; the copy ended with: ${finished instanceof Error ? finished.message : String(finished)}`);
  }

  /** Starts a copy-back, kills its sender mid-copy, and expects a clear error that says it rolled back. */
  async function copyBackWhileTheSenderDies(): Promise<void> {
    const settled = copyTableBack(env.lab, side.cluster, DB, 'public', 'copy_probe').then(() => null, (error: unknown) => error);
    await killSenderMidCopy(settled);
    const error = await settled;
    console.log(`sender killed mid-copy: ${(error as Error).message}`);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`public\\.copy_probe from the side cluster (did not arrive whole: the side cluster holds ${ROWS} rows|failed)`));
    expect((error as Error).message).toMatch(/rolled back: the live table public\.copy_probe is unchanged/);
  }

  beforeAll(async () => {
    env = await startTestLab('verified-copy');
    await env.lab.query(DB, 'CREATE TABLE copy_probe (id bigint PRIMARY KEY, pad text NOT NULL)');
    await env.lab.query(DB, `INSERT INTO copy_probe SELECT g, repeat(md5(g::text), 2) FROM generate_series(1, ${ROWS}) g`);
    await backupLab(env.lab, { onProgress: () => {} });
    // The side cluster is the backup as it ended: every row.
    side = await restoreSideCluster(env.lab, { kind: 'immediate' }, { name: 'verified-copy-side' });
  }, 240_000);
  afterAll(async () => {
    await side?.cluster.destroy();
    await env?.dispose();
  });

  it('rows deleted from the live table: the copy-back is rolled back when the sender dies, the live table unchanged', async () => {
    await env.lab.query(DB, 'DELETE FROM copy_probe WHERE id % 3 = 0');
    const before = await fingerprint();
    await copyBackWhileTheSenderDies();
    expect(await fingerprint()).toEqual(before);
    expect(before!.rows).toBe(String(ROWS - Math.floor(ROWS / 3)));

    // With the sender left alone, the same copy-back completes and verifies.
    const done = await copyTableBack(env.lab, side.cluster, DB, 'public', 'copy_probe');
    expect(done.tables[0]).toMatchObject({ table: 'public.copy_probe', rowsInSide: ROWS, inserted: Math.floor(ROWS / 3), recreated: false });
    const [sideRow] = await side.cluster.query(DB, fingerprintSql('ROW(id, pad)', 'public.copy_probe'));
    expect(await fingerprint()).toEqual(sideRow);
  }, 120_000);

  it('a dropped table: recreating it is rolled back when the sender dies (the table stays absent), then recreated whole', async () => {
    await env.lab.query(DB, 'DROP TABLE copy_probe');
    await copyBackWhileTheSenderDies();
    expect(await fingerprint()).toBeNull();

    const done = await copyTableBack(env.lab, side.cluster, DB, 'public', 'copy_probe');
    expect(done.tables[0]).toMatchObject({ table: 'public.copy_probe', rowsInSide: ROWS, inserted: ROWS, recreated: true });
    const [sideRow] = await side.cluster.query(DB, fingerprintSql('ROW(id, pad)', 'public.copy_probe'));
    expect(await fingerprint()).toEqual(sideRow);
    const [pk] = await env.lab.query(DB, "SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'public.copy_probe'::regclass AND indisprimary");
    expect(pk?.n).toBe(1);
  }, 120_000);

  it('page repair: rolled back when the sender dies; the damaged table keeps its file and its readable rows, then is repaired whole', async () => {
    // A failure (a timeout above all) says which phase it was in, with what the live lab was doing then.
    let phase = 'destroying the first side cluster';
    onTestFailed(async () => {
      const activity = await env.lab.query('postgres', "SELECT pid, datname, state, wait_event_type, wait_event, left(query, 120) AS query FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").catch((e: Error) => e.message);
      console.log(`page repair failed while ${phase}; live lab activity: ${JSON.stringify(activity)}; side cluster log:\n${side.cluster.logTail(20)}`);
    });
    await side.cluster.destroy();
    phase = 'corrupting the table';
    // Blocks holding the 100,000 smallest ids go bad on disk; a side cluster restored to just now has them intact.
    await corruptPage({ database: DB, table: 'copy_probe', readIds: 100_000 }).inject({ lab: env.lab, system: SAMPLE_SYSTEM, log: () => {} } as unknown as FaultContext);
    phase = 'archiving the current WAL';
    await archiveCurrentWal(env.lab);
    phase = 'restoring the side cluster to the end of the archive';
    side = await restoreSideCluster(env.lab, { kind: 'end' }, { name: 'verified-copy-repair' });
    phase = 'finding the damaged blocks';
    const damaged = (await findDamagedBlocks(env.lab, DB, 'public', 'copy_probe')).blocks.map((b) => b.block);
    expect(damaged.length).toBeGreaterThan(100);
    // What a reader can still see: the file, and the rows after the last damaged block (a TID range scan reads only those).
    const live = async () => {
      const [file] = await env.lab.query(DB, "SELECT pg_relation_filepath('public.copy_probe') AS path");
      const [rows] = await env.lab.query(DB, fingerprintSql('ROW(id, pad)', `(SELECT * FROM public.copy_probe WHERE ctid >= '(${Math.max(...damaged) + 1},0)'::tid) AS readable`));
      return { file: file?.path, rows: rows?.rows, checksum: rows?.checksum };
    };
    const before = await live();
    expect(Number(before.rows)).toBeGreaterThan(100_000);

    phase = 'repairing while the sender is killed';
    const settled = repairDamagedBlocks(env.lab, side.cluster, DB, 'public', 'copy_probe', damaged).then(() => null, (error: unknown) => error);
    await killSenderMidCopy(settled);
    phase = 'waiting for the repair whose sender was killed to end';
    const error = await settled;
    console.log(`sender killed mid-repair: ${(error as Error).message}`);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/rolled back: the live table public\.copy_probe is unchanged/);
    expect(await live()).toEqual(before);

    phase = 'repairing with the sender left alone';
    const done = await repairDamagedBlocks(env.lab, side.cluster, DB, 'public', 'copy_probe', damaged);
    phase = 'checking the repaired table';
    expect(done.inserted).toBe(done.rowsInSide);
    expect((await findDamagedBlocks(env.lab, DB, 'public', 'copy_probe')).blocks).toEqual([]);
    const [sideRow] = await side.cluster.query(DB, fingerprintSql('ROW(id, pad)', 'public.copy_probe'));
    expect(await fingerprint()).toEqual(sideRow);
  }, 180_000);

  it('leaves no scratch directory behind once destroyed', async () => {
    await side.cluster.destroy();
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
  });
});
