import migrationLockRunbook from '../runbooks/migration-lock.ts';
import { preDeployBackup } from '../src/backup/lab-backups.ts';
import { defineScenario } from '../src/core/scenario.ts';
import { migrationLock } from '../src/faults/migration-lock.ts';

/**
 * A schema migration holds ACCESS EXCLUSIVE on the hot table (the ledger:
 * payments in the sample) while the service writes: it rewrites the table
 * (ADD COLUMN ... NOT NULL DEFAULT clock_timestamp()) and keeps its
 * transaction open through a long next step, with no lock_timeout. Requests
 * queue behind the lock and time out. The runbook cancels the migration,
 * whose DDL rolls back. A pre-deploy backup is taken first, as the seed's
 * deployment plan asks. Objective: RTO 5 min, RPO 0 (the issue's; nothing
 * committed is touched).
 */
export default defineScenario({
  id: 'migration-lock',
  title: 'A migration locks a hot table',
  seedScenario: 'Migrations (dangerous migration during a deploy)',
  description:
    "A deploy's migration rewrites payments (ADD COLUMN ... NOT NULL DEFAULT clock_timestamp()) inside a transaction that stays open, holding ACCESS EXCLUSIVE without a lock_timeout: every read and write of payments queues behind it and times out until the migration is cancelled.",
  tags: ['migration', 'lock', 'deploy'],
  fault: migrationLock(),
  holdMs: 5000,
  runbook: migrationLockRunbook,
  objectives: { rtoMs: 5 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
  needs: ['wal-archive', 'base-backup'],
  // The seed's deployment plan: "1. Backup all databases" before the migration runs.
  setup: preDeployBackup,
});
