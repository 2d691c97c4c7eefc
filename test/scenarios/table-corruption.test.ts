import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tableCorruption from '../../scenarios/table-corruption.ts';
import { labScratchRoot } from '../../src/backup/lab-backups.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { findDamagedBlocks } from '../../src/restore/page-repair.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('table-corruption drill (a payments heap page damaged on disk, repaired from backup + WAL)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('corrupt');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('detects the damaged block, repairs it from a PITR side cluster and passes', async () => {
    const { result } = await runDrill(tableCorruption, { labDir: env.labDir, holdMs: 1000, observeMs: 3000 });
    const detail = (id: string) => result.steps.find((s) => s.id === id)?.detail ?? '';
    console.log(`table-corruption: RTO ${result.rtoMs} ms, TTD ${result.ttdMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, failed ${result.failedRequests}/${result.requests}; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}; ${result.fault.evidence}`);
    console.log(`detect: ${detail('detect-corruption')} | locate: ${detail('locate-damaged-blocks')} | repair: ${detail('repair-table')}`);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/blocks 0–\d+ of payments_db.payments .* a read now fails: invalid page in block 0 of relation base\/\d+\/\d+/);
    // The service saw the damage: reads of the payments on that page failed.
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.ttdMs).not.toBeNull();
    expect(result.steps.every((s) => s.status === 'done')).toBe(true);
    expect(detail('detect-corruption')).toMatch(/payments_db: [1-9]\d* checksum failure/);
    expect(detail('locate-damaged-blocks')).toMatch(/damaged block\(s\): 0, 1, .*; block 0: invalid page in block 0 of relation base\/\d+\/\d+/);
    expect(result.lostWrites).toBe(0);
    // The table reads end to end again, and no side cluster is left.
    expect((await findDamagedBlocks(env.lab, 'payments_db', 'public', 'payments')).blocks).toEqual([]);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
  });
});
