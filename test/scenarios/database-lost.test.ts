import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import databaseLost from '../../scenarios/database-lost.ts';
import { defineScenario } from '../../src/core/scenario.ts';
import { runDrill } from '../../src/engine/drill.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { archiveCurrentWal } from '../../src/restore/pitr.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('database-lost drill (kill -9, data directory removed, restore from backup + archive)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('dblost');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('loses exactly the acknowledged writes whose WAL was not archived, and the lab is whole afterwards', async () => {
    // Ground truth: the fault first archives everything committed so far, lets the load write for a
    // while (WAL that will never be archived), then kills. Writes acknowledged before the archive
    // call must survive; writes acknowledged after it returned must be lost.
    const truth: { injectStart?: number; archivedAt?: number; killedAt?: number } = {};
    const inner = databaseLost.fault;
    const fault: Fault = {
      ...inner,
      inject: async (ctx) => {
        truth.injectStart = performance.now();
        await archiveCurrentWal(ctx.lab!);
        truth.archivedAt = performance.now();
        await new Promise((r) => setTimeout(r, 1500));
        truth.killedAt = performance.now();
        return inner.inject(ctx);
      },
    };
    const scenario = defineScenario({ ...databaseLost, fault });
    const { result, load } = await runDrill(scenario, { labDir: env.labDir, holdMs: 500, observeMs: 3000 });
    console.log(`database-lost: RTO ${result.rtoMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, RPO window ${result.rpoMs} ms; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}`);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    const t0 = result.t0Ms!;
    const toClock = (perf: number) => t0 + (perf - truth.injectStart!);
    const archivedAt = toClock(truth.archivedAt!);
    const ledger = load!.ledger;
    // No write can be acknowledged between the kill and the end of the restore, so the predicted loss is
    // every acknowledgement after the archive call returned and before the restore step started.
    const restoreStart = result.steps.find((s) => s.id === 'restore-latest-backup')!.startedAtMs;
    const predictedLost = ledger.filter((e) => e.ackedAt > archivedAt && e.ackedAt < restoreStart).length;
    const ambiguous = ledger.filter((e) => e.ackedAt >= t0 && e.ackedAt <= archivedAt).length;
    console.log(`database-lost: ledger predicts ${predictedLost} lost (+${ambiguous} ambiguous), measured ${result.lostWrites}`);
    expect(predictedLost).toBeGreaterThan(10);
    expect(result.lostWrites).toBeGreaterThanOrEqual(predictedLost);
    expect(result.lostWrites).toBeLessThanOrEqual(predictedLost + ambiguous);
    // Nothing acknowledged before the fault was lost.
    expect(result.rpoMs!).toBeLessThanOrEqual(toClock(truth.killedAt!) - t0 + 1000);

    // The lab is the restored cluster, consistent for lab status and lab down.
    const status = await env.lab.status();
    expect(status.running).toBe(true);
    expect(Number((await env.lab.psql('auth_db', 'SELECT count(*) FROM users')).trim())).toBe(200);
  });
});
