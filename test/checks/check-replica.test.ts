import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/check.ts';
import { CHECKS } from '../../src/checks/index.ts';
import { openCheckContext } from '../../src/checks/open-check-context.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { Lab } from '../../src/lab/lab.ts';
import { queryOnce } from '../../src/util/query-once.ts';
import { removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/**
 * `replication-lag` against a real streaming replica: it passes while the
 * replica keeps up; with replay paused on the replica while the primary
 * writes, the lag grows past the seed's 1 s and the check fails; resumed,
 * it passes again.
 */
describe('pgdrill check: replication-lag on a lab with a replica', () => {
  let lab: Lab;
  let labDir = '';

  beforeAll(async () => {
    labDir = path.join(tempDir('check-replica'), 'lab');
    lab = new Lab({ labDir });
    await lab.up('persistent', { replica: true });
  }, 180_000);

  afterAll(async () => {
    await removeTempDirs();
  }, 120_000);

  async function lagCheck(): Promise<CheckResult> {
    const { ctx, close } = await openCheckContext({ labDir, historyFile: path.join(labDir, 'none.jsonl') });
    try {
      return (await runChecks(CHECKS.filter((c) => c.id === 'replication-lag'), ctx))[0]!;
    } finally {
      await close();
    }
  }

  const onReplica = (sql: string) => queryOnce({ connectionString: lab.replicaAdminUrl('postgres') }, sql);

  it('passes while the replica keeps up, fails when its replay falls more than 1 s behind, passes once it caught up', async () => {
    expect(await lagCheck()).toMatchObject({ status: 'pass', found: expect.stringMatching(/^pgdrill_replica streaming, replay lag /) });
    await lab.query('postgres', 'CREATE TABLE lag_writes (n int)');
    await onReplica('SELECT pg_wal_replay_pause()');
    let behind: CheckResult | undefined;
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await lab.query('postgres', 'INSERT INTO lag_writes SELECT generate_series(1, 100)');
        const r = await lagCheck();
        if (r.status === 'fail') {
          behind = r;
          break;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
    } finally {
      await onReplica('SELECT pg_wal_replay_resume()');
    }
    expect(behind).toMatchObject({ status: 'fail', found: expect.stringMatching(/^pgdrill_replica streaming, replay lag [1-9][\d.]* s$/), fix: expect.stringMatching(/pg_stat_replication/) });
    await expect.poll(async () => (await lagCheck()).status, { timeout: 30_000, interval: 250 }).toBe('pass');
  }, 90_000);
});
