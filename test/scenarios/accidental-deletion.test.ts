import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import accidentalDeletion from '../../scenarios/accidental-deletion.ts';
import { labScratchRoot } from '../../src/backup/lab-backups.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { processesMatching, startTestLab } from '../helpers/test-lab.ts';

describe('accidental-deletion drill (real PITR under load)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('accdel');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  for (const variant of [undefined, 'drop-table'] as const) {
    it(`recovers ${variant ?? 'DELETE FROM payments'} by PITR and copy-back, losing no acknowledged write`, async () => {
      const { result } = await runDrill(accidentalDeletion, { labDir: env.labDir, variant, holdMs: 1000, observeMs: 3000 });
      console.log(`${variant ?? 'delete'}: RTO ${result.rtoMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, failed ${result.failedRequests}/${result.requests}, evidence ${result.fault.evidence}; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}`);
      expect(result.status, result.reasons.join('; ')).toBe('passed');
      expect(result.fault.evidence).toMatch(variant ? /dropped payments_db\.payments \(\d+ rows\)/ : /deleted [1-9]\d* rows/);
      expect(result.failedRequests).toBeGreaterThan(0);
      expect(result.rtoMs).not.toBeNull();
      expect(result.lostWrites).toBe(0);
      expect(result.steps.every((s) => s.status === 'done')).toBe(true);
      expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
      expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    });
  }

  it('marks every step that changes data destructive', () => {
    const destructive = accidentalDeletion.runbook.steps.filter((s) => s.destructive).map((s) => s.id);
    expect(destructive).toEqual(['copy-back', 'remove-side-cluster']);
  });
});
