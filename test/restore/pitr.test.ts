import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupLab, labScratchRoot } from '../../src/backup/lab-backups.ts';
import { parseBadStatement } from '../../src/restore/find-transaction.ts';
import { archiveCurrentWal, copyTableBack, locateBadTransaction, removeScratchClusters, restoreSideCluster } from '../../src/restore/pitr.ts';
import { runCli } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, startTestLab } from '../helpers/test-lab.ts';

const insert = (tag: string, n: number) =>
  `INSERT INTO payments (id, user_id, amount, currency, status) SELECT gen_random_uuid(), md5('user-1')::uuid, 1, '${tag}', 'pending' FROM generate_series(1, ${n})`;

describe('point-in-time recovery (real base backup, real WAL archive)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let before = 0;
  beforeAll(async () => {
    env = await startTestLab('pitr');
    await backupLab(env.lab, { onProgress: () => {} });
    // Committed before the accident: must survive. (Currency codes tag the rows.)
    await env.lab.psql('payments_db', insert('AAA', 40));
    before = Number((await env.lab.psql('payments_db', 'SELECT count(*) FROM payments')).trim());
    await env.lab.psql('payments_db', 'DELETE FROM payments');
    // Committed after the accident: not in a restore that stops before it.
    await env.lab.psql('payments_db', insert('BBB', 7));
    await archiveCurrentWal(env.lab);
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('parses the bad statement patterns', () => {
    expect(parseBadStatement('delete from payments')).toEqual({ kind: 'delete', schema: 'public', table: 'payments' });
    expect(parseBadStatement('DROP TABLE IF EXISTS app.orders CASCADE')).toEqual({ kind: 'drop', schema: 'app', table: 'orders' });
    expect(() => parseBadStatement('UPDATE payments SET x = 1')).toThrow(/cannot find transactions matching/);
  });

  it('excludes exactly the bad transaction: rows committed before it are there, the deletion is not, later rows are not', async () => {
    const found = await locateBadTransaction(env.lab, 'DELETE FROM payments');
    expect(found.database).toBe('payments_db');
    expect(found.deletedTuples).toBe(before);
    const side = await restoreSideCluster(env.lab, { kind: 'xid', xid: found.xid, inclusive: false }, { targetLsn: found.commitLsn, name: 'pitr-test' });
    try {
      expect(side.cluster.report!.stopLine).toMatch(new RegExp(`recovery stopping before commit of transaction ${found.xid}`));
      const [counts] = await side.cluster.query('payments_db', "SELECT count(*)::int AS all, count(*) FILTER (WHERE currency = 'AAA')::int AS a, count(*) FILTER (WHERE currency = 'BBB')::int AS b FROM payments");
      expect(counts).toEqual({ all: before, a: 40, b: 0 });

      const copied = await copyTableBack(env.lab, side.cluster, 'payments_db', 'public', 'payments');
      expect(copied.tables[0]).toMatchObject({ table: 'public.payments', inserted: before, rowsInSide: before });
      const live = (await env.lab.psql('payments_db', "SELECT count(*), count(*) FILTER (WHERE currency = 'BBB') FROM payments")).trim();
      expect(live).toBe(`${before + 7}|7`);
      // A second copy inserts nothing: ON CONFLICT DO NOTHING.
      const again = await copyTableBack(env.lab, side.cluster, 'payments_db', 'public', 'payments');
      expect(again.tables[0]!.inserted).toBe(0);
    } finally {
      await side.cluster.destroy();
    }
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
  });

  it('pgdrill restore --before finds the transaction and copies the table back (CLI)', async () => {
    await env.lab.psql('payments_db', 'DELETE FROM payments');
    const run = await runCli(['restore', '--before', 'DELETE FROM payments', '--copy-table', 'payments_db.payments', '--lab-dir', env.labDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/transaction \d+/);
    expect(run.stdout).toMatch(/public\.payments: \d+ rows inserted/);
    const live = Number((await env.lab.psql('payments_db', 'SELECT count(*) FROM payments')).trim());
    expect(live).toBe(before + 7);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
  });

  it('lists a side cluster left running in lab status; lab down stops it (kept for a resume), removal deletes it', async () => {
    // A session that died between restoring and cleaning up leaves exactly this: a running side cluster.
    const side = await restoreSideCluster(env.lab, { kind: 'immediate' }, { name: 'left-behind' });
    const pid = side.cluster.postmasterPid()!;
    expect(isAlive(pid)).toBe(true);
    const status = await runCli(['lab', 'status', '--lab-dir', env.labDir]);
    expect(status.stdout).toMatch(new RegExp(`scratch cluster left-behind: running \\(pid ${pid}, port ${side.cluster.port}\\)`));
    const json = JSON.parse((await runCli(['lab', 'status', '--lab-dir', env.labDir, '--json'])).stdout);
    expect(json.scratchClusters).toEqual([expect.objectContaining({ name: 'left-behind', running: true, pid, port: side.cluster.port })]);

    const down = await runCli(['lab', 'down', '--lab-dir', env.labDir]);
    expect(down.code, down.stderr).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual(['left-behind']);
    expect((await runCli(['lab', 'status', '--lab-dir', env.labDir])).stdout).toMatch(/scratch cluster left-behind: stopped/);

    await env.lab.up('persistent');
    expect(await removeScratchClusters(env.lab)).toEqual(['left-behind']);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
    expect(existsSync(side.cluster.socketDir)).toBe(false);
  });

  it('refuses a target before the oldest base backup, in one paragraph', async () => {
    const run = await runCli(['restore', '--to-time', '2001-01-01 00:00:00+00', '--copy-table', 'payments_db.payments', '--lab-dir', env.labDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/No base backup of the lab ended before the recovery target/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
