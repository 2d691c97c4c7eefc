import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import accidentalDeletion from '../../scenarios/accidental-deletion.ts';
import backupRestoreTest from '../../scenarios/backup-restore-test.ts';
import databaseLost from '../../scenarios/database-lost.ts';
import { primaryFailoverScenario } from '../../scenarios/primary-failover.ts';
import tableCorruption from '../../scenarios/table-corruption.ts';
import { backupLab } from '../../src/backup/lab-backups.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { Lab } from '../../src/lab/lab.ts';
import { sleep } from '../../src/util/sleep.ts';
import { startTestLab } from '../helpers/test-lab.ts';

/**
 * Operators run drill after drill on one lab. After every drill of the
 * data-loss sequence (failover included), the archiver must be healthy and
 * really archiving: a forced WAL switch reaches the archive within seconds.
 */
describe('one lab through the data-loss sequence, twice', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('many-drills');
    await backupLab(env.lab);
  });
  afterAll(async () => {
    await env?.dispose();
  });

  async function expectArchiving(after: string): Promise<void> {
    const lab = new Lab({ labDir: env.labDir });
    const health = await lab.archiverHealth();
    expect(health.problem, `after ${after}`).toBeNull();
    const [row] = await lab.query('postgres', 'SELECT pg_walfile_name(pg_switch_wal()) AS segment');
    const segment = String(row!.segment);
    const deadline = Date.now() + 15_000;
    let last = health;
    while (Date.now() < deadline) {
      last = await lab.archiverHealth();
      if (last.lastArchivedWal !== null && last.lastArchivedWal >= segment && !last.failing) break;
      await sleep(200);
    }
    expect({ after, lastArchivedWal: last.lastArchivedWal, failing: last.failing }).toEqual({ after, lastArchivedWal: expect.stringMatching(/^[0-9A-F]{24}$/), failing: false });
    expect(last.lastArchivedWal! >= segment, `after ${after}: ${segment} archived (last archived ${last.lastArchivedWal})`).toBe(true);
  }

  it('keeps archiving after every drill, failover adoption included', { timeout: 900_000 }, async () => {
    const sequence = [accidentalDeletion, tableCorruption, databaseLost, primaryFailoverScenario(), backupRestoreTest];
    for (const round of [1, 2]) {
      for (const scenario of sequence) {
        const { result } = await runDrill(scenario, { labDir: env.labDir, holdMs: 1000, observeMs: 2500 });
        const label = `round ${round}: ${scenario.id}`;
        console.log(`${label}: ${result.status}, RTO ${result.rtoMs} ms, lost ${result.lostWrites}/${result.ackedWrites}${result.reasons.length ? `; ${result.reasons.join('; ')}` : ''}`);
        expect(result.status, `${label}: ${result.reasons.join('; ')}`).toBe('passed');
        await expectArchiving(label);
      }
    }
  });
});
