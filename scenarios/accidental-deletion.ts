import accidentalDeletion from '../runbooks/accidental-deletion.ts';
import { backupLab } from '../src/backup/lab-backups.ts';
import { defineScenario } from '../src/core/scenario.ts';
import { embeddedLab } from '../src/faults/fault.ts';
import { deleteAllRows } from '../src/faults/delete-all-rows.ts';
import { dropTable } from '../src/faults/drop-table.ts';

/**
 * The seed's "Single table corrupted / deleted": `DELETE FROM payments`
 * without WHERE while the service takes writes (variant: `DROP TABLE
 * payments CASCADE`). The runbook finds the transaction in the archived
 * WAL, restores the table by PITR into a side cluster and copies it back.
 * Objective from the seed's table: RTO 15 min, RPO minutes.
 */
export default defineScenario({
  id: 'accidental-deletion',
  title: 'Table data deleted by mistake',
  seedScenario: 'Single table corrupted',
  description:
    'An operator runs DELETE FROM payments without a WHERE clause while the payments service takes writes. Reads of earlier payments answer 404 until the rows are restored from a point-in-time recovery; writes keep working.',
  tags: ['data-loss', 'pitr', 'backup'],
  fault: deleteAllRows(),
  variants: {
    'drop-table': {
      description: 'DROP TABLE payments CASCADE instead: every read and write fails until the table is recreated from the side cluster.',
      fault: dropTable(),
    },
  },
  holdMs: 5000,
  runbook: accidentalDeletion,
  objectives: { rtoMs: 15 * 60_000, rpoMs: 5 * 60_000 },
  load: { rate: 50, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 30 * 60_000 },
  warmupMs: 3000,
  observeMs: 4000,
  needs: ['wal-archive', 'lab-files'],
  // PITR starts from a base backup: the nightly one, taken here before the load.
  async setup(ctx) {
    const { manifest } = await backupLab(embeddedLab(ctx, 'The scenario\'s base backup'), { onProgress: (l) => ctx.log(`backup: ${l}`) });
    ctx.log(`Base backup ${manifest.id} taken (WAL from ${manifest.base?.startLsn}).`);
  },
});
