import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FaultContext } from '../../src/faults/fault.ts';
import { MIGRATION_APPLICATION, MIGRATION_COLUMN, migrationLock } from '../../src/faults/migration-lock.ts';
import type { JournalRecord } from '../../src/journal/records.ts';
import { Lab } from '../../src/lab/lab.ts';
import { SAMPLE_SYSTEM } from '../../src/system/system.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

describe('pgdrill guide migration-lock (an operator stops a real migration holding ACCESS EXCLUSIVE)', () => {
  it('finds the migration, cancels and terminates it, confirms the rollback, then stops at the service check that needs a person', async () => {
    const root = tempDir('guide-miglock');
    const labDir = path.join(root, 'lab');
    const journal = path.join(root, 'session.jsonl');
    const lab = new Lab({ labDir });
    await lab.up('persistent');
    const fault = migrationLock();
    const ctx = { lab, target: lab, drillLab: lab, system: SAMPLE_SYSTEM, log: () => {} } as unknown as FaultContext;
    try {
      const evidence = await fault.inject(ctx);
      expect(evidence?.detail).toMatch(/holds ACCESS EXCLUSIVE on payments/);
      // A reader queues behind the migration, as the service's queries would.
      const queued = lab.query('payments_db', 'SELECT count(*)::int AS n FROM payments');
      const run = await runCli(['guide', 'migration-lock', '--yes', '--confirm', 'lab:lab', '--lab-dir', labDir, '--journal', journal]);
      expect((await queued)[0]!.n).toBeGreaterThan(0);
      expect(run.stdout).toMatch(/pid \d+ pgdrill-migration AccessExclusiveLock granted/);
      expect(run.stdout).toMatch(/AccessShareLock WAITING/);
      expect(run.stdout).toMatch(/its query: BEGIN; ALTER TABLE "public"\."payments" ADD COLUMN pgdrill_migrated_at/);
      expect(run.stdout).toMatch(/pg_cancel_backend\(\d+\) → true/);
      expect(run.stdout).toMatch(/relfilenode \d+ \(unchanged\), column pgdrill_migrated_at absent, 0 ACCESS EXCLUSIVE lock/);
      const records = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
      const done = records.filter((r) => r.type === 'step-end').map((r) => (r as { stepId: string }).stepId);
      expect(done).toEqual(['see-lock-queue', 'identify-migration', 'cancel-migration', 'terminate-migration', 'confirm-rolled-back']);
      // No service in a plain guided session: the health check is the operator's (exit 1, naming how to continue).
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/verify-service\) needs a person/);
      const [left] = await lab.query('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [MIGRATION_APPLICATION]);
      expect(left!.n).toBe(0);
      const [added] = await lab.query('payments_db', "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'payments'::regclass AND attname = $1", [MIGRATION_COLUMN]);
      expect(added!.n).toBe(0);
    } finally {
      await fault.revert(ctx);
      await lab.down();
    }
  }, 60_000);
});
