import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../src/core/runbook.ts';
import { defineScenario } from '../../src/core/scenario.ts';
import { runDrill } from '../../src/engine/drill.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { verifyServiceStep } from '../../src/steps/common-steps.ts';
import connectionLoss from '../../scenarios/connection-loss.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('loss calibration (the test controls which acknowledged writes are lost)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('loss');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('measures exactly the acknowledged writes a fault destroyed, and their loss window', async () => {
    const deleted = new Set<string>();
    // Ground truth: a superuser deletes every payment written in the 1.5 s before the fault.
    const erase: Fault = {
      name: 'erase-recent-writes',
      description: 'the payments written in the last 1.5 s are deleted behind the service',
      async inject(ctx) {
        const admin = new pg.Client({ connectionString: ctx.target.adminUrl('payments_db') });
        await admin.connect();
        try {
          const { rows } = await admin.query("DELETE FROM payments WHERE created_at > now() - interval '1.5 seconds' RETURNING id::text AS id");
          for (const r of rows) deleted.add(r.id as string);
        } finally {
          await admin.end();
        }
        return { detail: `deleted ${deleted.size} recent payments` };
      },
      revert: async () => {},
    };
    const scenario = defineScenario({
      ...connectionLoss,
      id: 'loss-calibration',
      fault: erase,
      variants: undefined,
      holdMs: 500,
      objectives: { rtoMs: 60_000, rpoMs: 5_000 },
      runbook: defineRunbook({ id: 'observe', title: 'Observe', summary: 'Nothing to repair: the loss is what is measured.', steps: [verifyServiceStep('GET /health answers 200.')] }),
    });
    const { result, load } = await runDrill(scenario, { labDir: env.labDir });
    const ledger = new Map(load!.ledger.map((e) => [e.id, e.ackedAt]));
    const truth = [...deleted].filter((id) => ledger.has(id));
    expect(truth.length).toBeGreaterThan(20);
    expect(result.lostWrites).toBe(truth.length);
    const acks = truth.map((id) => ledger.get(id)!);
    // From the earliest lost acknowledgement to t0, or to the latest one when it came after t0 (the DELETE runs just after t0).
    expect(result.rpoMs).toBeCloseTo(Math.max(result.t0Ms!, Math.max(...acks)) - Math.min(...acks), 6);
    // The window the test erased: 1.5 s before the fault, give or take the time the DELETE took to reach the server.
    expect(result.rpoMs!).toBeGreaterThan(1000);
    expect(result.rpoMs!).toBeLessThan(2000);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
  });
});
