import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupLab } from '../../src/backup/lab-backups.ts';
import { commitLsnOf } from '../../src/restore/find-transaction.ts';
import { archiveCurrentWal, chooseBaseBackup } from '../../src/restore/pitr.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('a restore to just before a transaction starts from a backup taken before it (real WAL archive)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let xid = '';
  let beforeId = '';
  let afterId = '';
  beforeAll(async () => {
    env = await startTestLab('commit-lsn');
    beforeId = (await backupLab(env.lab, { databases: [], onProgress: () => {} })).manifest.id;
    await env.lab.query('payments_db', 'ALTER TABLE payments DROP COLUMN currency');
    const [dropped] = await env.lab.query('payments_db', "SELECT xmin::text AS xid FROM pg_attribute WHERE attrelid = 'payments'::regclass AND attisdropped");
    xid = String(dropped!.xid);
    // A later backup (the nightly one, the next deploy's) already lacks the column.
    afterId = (await backupLab(env.lab, { databases: [], onProgress: () => {} })).manifest.id;
    await archiveCurrentWal(env.lab);
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it("finds the transaction's COMMIT in the archive and chooses the backup that ended before it, not the newest", async () => {
    const commitLsn = await commitLsnOf(env.lab.paths.archiveDir, env.lab.pg(), xid);
    expect(commitLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const target = { kind: 'xid' as const, xid, inclusive: false };
    expect(chooseBaseBackup(env.lab, target).id).toBe(afterId);
    expect(chooseBaseBackup(env.lab, target, commitLsn).id).toBe(beforeId);
  });

  it('says nothing committed for a transaction the archive does not hold', async () => {
    expect(await commitLsnOf(env.lab.paths.archiveDir, env.lab.pg(), String(Number(xid) + 100_000))).toBeUndefined();
  });
});
