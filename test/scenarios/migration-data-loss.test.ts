import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import migrationDataLoss from '../../scenarios/migration-data-loss.ts';
import { labScratchRoot } from '../../src/backup/lab-backups.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { systemUnderDrill } from '../../src/system/system.ts';
import { processesMatching, startTestLab } from '../helpers/test-lab.ts';

describe('migration-data-loss drill (DROP COLUMN under load, column restored by PITR)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('migloss');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('puts the dropped column back with every value it held, losing no acknowledged write', async () => {
    const { result } = await runDrill(migrationDataLoss, { labDir: env.labDir, holdMs: 1000, observeMs: 6000 });
    console.log(`migration-data-loss: RTO ${result.rtoMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, failed ${result.failedRequests}/${result.requests}, evidence ${result.fault.evidence}; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}`);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    const held = Number(/dropped payments_db\.payments\.currency \((\d+) rows held a value\)/.exec(result.fault.evidence ?? '')?.[1]);
    expect(held).toBeGreaterThan(0);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.lostWrites).toBe(0);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual(migrationDataLoss.runbook.steps.map((s) => [s.id, 'done']));
    // The column is back as it was (type, NOT NULL), every row has its value, and the service role writes again.
    const [col] = await env.lab.query('payments_db', "SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS nn FROM pg_attribute WHERE attrelid = 'payments'::regclass AND attname = 'currency' AND NOT attisdropped");
    expect(col).toEqual({ type: 'character(3)', nn: true });
    const [rows] = await env.lab.query('payments_db', "SELECT count(*)::int AS n, count(currency)::int AS with_value, count(*) FILTER (WHERE currency !~ '^[A-Z]{3}$')::int AS odd FROM payments");
    expect(rows!.n).toBeGreaterThanOrEqual(held);
    expect(rows!.with_value).toBe(rows!.n);
    expect(rows!.odd).toBe(0);
    const [grant] = await env.lab.query('payments_db', "SELECT has_table_privilege('payments_service', 'payments', 'INSERT') AS ins");
    expect(grant!.ins).toBe(true);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
  });

  it('is skipped with a reason for a configured system, never passed', () => {
    const system = systemUnderDrill({ system: { database: 'shop', ledger: { table: 'orders', idColumn: 'id' }, service: { url: 'http://127.0.0.1:1', write: { path: '/o' }, read: { path: '/o/{{id}}' } } } } as never);
    expect(migrationDataLoss.notFor?.(system)).toMatch(/cannot know which column of public\.orders/);
  });
});
