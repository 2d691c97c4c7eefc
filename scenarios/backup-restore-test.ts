import backupRestoreTestRunbook, { RESTORE_TIME_OBJECTIVE_MS } from '../runbooks/backup-restore-test.ts';
import { backupLab } from '../src/backup/lab-backups.ts';
import { defineScenario } from '../src/core/scenario.ts';
import { embeddedLab } from '../src/faults/fault.ts';
import { noFault } from '../src/faults/no-fault.ts';

/**
 * The seed's weekly backup test as a drill: nothing breaks; a backup is
 * taken, then restored into a scratch cluster, smoke-tested and destroyed
 * while the service takes its normal load. The verdict is the runbook's:
 * a failed check or a restore slower than 30 minutes breaches it. The
 * measured RTO is the service's (0: it never went down), not the restore
 * time, which is reported by the restore step.
 */
export default defineScenario({
  id: 'backup-restore-test',
  title: 'Weekly restore test',
  seedScenario: 'Backup testing procedure (weekly)',
  description:
    'No fault: the newest backup is restored into a scratch cluster beside the lab (base backup + every archived WAL segment), smoke-tested (SELECT COUNT(*) FROM users, every table, pg_amcheck, every dump with its row counts) and destroyed, while the service keeps its load. Fails when the restore fails or takes longer than 30 minutes.',
  tags: ['backup', 'restore', 'routine'],
  fault: noFault('weekly restore test (no fault)'),
  holdMs: 0,
  runbook: backupRestoreTestRunbook,
  // The RTO objective bounds the service's downtime, which a restore beside it must not cause; the restore time itself is bounded by the runbook.
  objectives: { rtoMs: RESTORE_TIME_OBJECTIVE_MS, rpoMs: 0 },
  load: { rate: 50, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 60 * 60_000 },
  warmupMs: 2000,
  observeMs: 2500,
  needs: ['wal-archive', 'lab-files'],
  // Nothing breaks: the restore's own record (the runbook's steps) is the proof, not a disturbance of the service.
  evidenceIsProof: true,
  async setup(ctx) {
    const { manifest } = await backupLab(embeddedLab(ctx, 'The scenario\'s base backup'), { onProgress: (l) => ctx.log(`backup: ${l}`) });
    ctx.log(`Backup ${manifest.id} taken: it is the one the weekly test restores.`);
  },
});
