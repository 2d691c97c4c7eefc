import migrationDataLoss from '../runbooks/migration-data-loss.ts';
import pg from 'pg';
import { preDeployBackup } from '../src/backup/lab-backups.ts';
import { UserError } from '../src/core/errors.ts';
import { defineScenario } from '../src/core/scenario.ts';
import type { FaultContext } from '../src/faults/fault.ts';
import { faultTable } from '../src/system/fault-table.ts';
import { DROPPED_COLUMN, dropColumn } from '../src/faults/drop-column.ts';

/**
 * Refuses to drill on a lab that an earlier run of this scenario left
 * broken (killed before its runbook put the column and the grants back):
 * the drill would only measure a service that never worked. Says how to
 * recover it.
 */
async function requireUndamagedTable(ctx: FaultContext): Promise<void> {
  const t = faultTable(ctx, {});
  const [row] = await ctx.target.query(
    t.database,
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped) AS present,
            has_table_privilege($3, $1::regclass, 'INSERT') AS writable`,
    [t.qualified, DROPPED_COLUMN, ctx.system.serviceRole],
  );
  if (row?.present && row.writable) return;
  const what = row?.present ? `the service role ${pg.escapeIdentifier(ctx.system.serviceRole)} may not write ${t.name}` : `${t.name} has no ${DROPPED_COLUMN} column`;
  throw new UserError(
    `The lab is still damaged by an earlier migration-data-loss drill that was stopped before its runbook finished: ${what}, so the service cannot work and a drill would measure nothing.`,
    `Recover it as the runbook does, step by step: \`pgdrill guide migration-data-loss\` (with the same --lab-dir), or start the lab afresh with \`pgdrill lab down --purge\`.`,
  );
}

/**
 * A destructive migration: `ALTER TABLE payments DROP COLUMN currency`
 * commits while the sample service still writes and reads the column; every
 * write and read fails. The runbook is the seed's rollback: stop writes,
 * recover the column from the pre-deploy backup by point-in-time recovery
 * to just before the migration's transaction, put it back with its data,
 * resume. Objective from the seed's "Single table corrupted" (data
 * corruption) row: RTO 15 min, RPO minutes. Only the sample system: for a
 * configured service pgdrill cannot know which column its code needs.
 */
export default defineScenario({
  id: 'migration-data-loss',
  title: 'A migration drops a column the service uses',
  seedScenario: 'Single table corrupted (a destructive migration)',
  description: `A deploy's migration runs ALTER TABLE payments DROP COLUMN ${DROPPED_COLUMN} while the service still writes and reads it: every payment request fails. The column comes back, with the value of every row that existed, from a point-in-time recovery of the pre-deploy backup.`,
  tags: ['migration', 'data-loss', 'pitr', 'backup'],
  fault: dropColumn(),
  holdMs: 5000,
  runbook: migrationDataLoss,
  objectives: { rtoMs: 15 * 60_000, rpoMs: 5 * 60_000 },
  load: { rate: 50, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 30 * 60_000 },
  warmupMs: 3000,
  observeMs: 4000,
  // The rollback restores a side cluster from the backup and the archive: PITR on the server's files.
  needs: ['wal-archive', 'base-backup', 'lab-files'],
  // The seed's deployment plan: "1. Backup all databases" before the migration runs; the rollback restores from it.
  async setup(ctx) {
    await requireUndamagedTable(ctx);
    await preDeployBackup(ctx);
  },
  notFor: (system) =>
    system.kind === 'sample'
      ? undefined
      : `it drops payments.${DROPPED_COLUMN}, a column the sample service writes and reads; pgdrill cannot know which column of ${system.ledger.schema}.${system.ledger.table} your service needs, so dropping one would prove nothing`,
});
