import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import migrationLock from '../../scenarios/migration-lock.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { MIGRATION_APPLICATION, MIGRATION_COLUMN } from '../../src/faults/migration-lock.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('migration-lock drill (a real migration holding ACCESS EXCLUSIVE under load)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('miglock');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('cancels the migration, which rolls back completely, and loses no acknowledged write', async () => {
    const [before] = await env.lab.query('payments_db', "SELECT pg_relation_filenode('payments')::int AS filenode, (SELECT count(*)::int FROM payments) AS n");
    const { result } = await runDrill(migrationLock, { labDir: env.labDir, holdMs: 2000, observeMs: 5000 });
    console.log(`migration-lock: RTO ${result.rtoMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, failed ${result.failedRequests}/${result.requests}, evidence ${result.fault.evidence}; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}`);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(new RegExp(`${MIGRATION_APPLICATION}\\) holds ACCESS EXCLUSIVE on payments: BEGIN; ALTER TABLE`));
    // Requests queued behind the lock and failed; the drill measured a recovery within the objective.
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs).not.toBeNull();
    expect(result.rtoMs!).toBeLessThan(migrationLock.objectives.rtoMs);
    expect(result.lostWrites).toBe(0);
    expect(result.rpoMs).toBe(0);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual(migrationLock.runbook.steps.map((s) => [s.id, 'done']));
    // The migration rolled back: no new column, the table's storage unchanged, writes made during the drill present.
    const [after] = await env.lab.query('payments_db', "SELECT pg_relation_filenode('payments')::int AS filenode, (SELECT count(*)::int FROM payments) AS n, (SELECT count(*)::int FROM pg_attribute WHERE attrelid = 'payments'::regclass AND attname = $1) AS added", [MIGRATION_COLUMN]);
    expect(after).toMatchObject({ filenode: before!.filenode, added: 0 });
    expect(Number(after!.n)).toBeGreaterThan(Number(before!.n));
    const [left] = await env.lab.query('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [MIGRATION_APPLICATION]);
    expect(left!.n).toBe(0);
  });
});
