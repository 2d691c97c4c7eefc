import { existsSync, readdirSync } from 'node:fs';
import { labScratchRoot, verifyLabBackup } from '../src/backup/lab-backups.ts';
import type { VerifyReport } from '../src/backup/verify-backup.ts';
import { defineRunbook } from '../src/core/runbook.ts';
import { requireLab } from '../src/restore/guard.ts';
import { runbookState } from '../src/steps/runbook-state.ts';

/** The longest a restore of the newest backup may take: the seed's bound for a full restore. */
export const RESTORE_TIME_OBJECTIVE_MS = 30 * 60_000;

/** What the restore step saw, for its verification (in the session memory, like every runbook's state). */
const state = runbookState<{ report: VerifyReport & { dir: string } }>('backup-restore-test');

/** Passed when every check passed and the restore was fast enough; the detail names the backup, the restore time and what failed. */
function judgeReport(report: VerifyReport): { ok: boolean; detail: string } {
  const failed = report.checks.filter((c) => !c.ok);
  const restore = report.restoreMs === null ? 'the restore failed' : `restored in ${(report.restoreMs / 1000).toFixed(1)} s (objective ${RESTORE_TIME_OBJECTIVE_MS / 60_000} min)`;
  if (failed.length) return { ok: false, detail: `backup ${report.backupId}: ${restore}; failed: ${failed.map((c) => `${c.name} (${c.detail.split('\n')[0]})`).join('; ')}` };
  if (report.restoreMs === null || report.restoreMs > RESTORE_TIME_OBJECTIVE_MS) return { ok: false, detail: `backup ${report.backupId}: ${restore}: too slow` };
  return { ok: true, detail: `backup ${report.backupId}: ${restore}; ${report.checks.length} checks passed` };
}

/**
 * The seed's weekly backup test, unattended: restore the newest backup into
 * a scratch cluster with every archived WAL segment replayed, smoke-test
 * it (the seed's `SELECT COUNT(*) FROM users`, every table present,
 * pg_amcheck, each dump restored with its row counts), destroy it, and fail
 * when any of that fails or the restore takes longer than 30 minutes.
 */
export default defineRunbook({
  id: 'backup-restore-test',
  title: 'Weekly restore test of the newest backup',
  summary:
    'Run every week (the seed: every Monday), and after any change to backups: a backup that was never restored is a hope, not a backup. Restores the newest backup beside production, checks it, measures how long the restore took, and removes it. Production is not touched.',
  steps: [
    {
      id: 'restore-and-smoke-test',
      title: 'Restore the newest backup into a scratch cluster and smoke-test it',
      why: 'Only a real restore proves a backup: the files match their checksums, the base backup and the WAL archive replay into a working server, the data is there (the seed’s smoke test: SELECT COUNT(*) FROM users), pg_amcheck finds no corruption, and every dump restores with the row counts it was taken with. The restore time is the backup’s RTO evidence.',
      expect: 'Every check passes and the restore (copy + WAL replay until writable) takes less than 30 minutes.',
      command: { kind: 'action', text: 'pgdrill backup verify: restore into a scratch cluster, smoke checks, pg_amcheck, dumps, destroy' },
      manual: 'Restore the latest snapshot to a staging instance (aws rds restore-db-instance-from-db-snapshot), run SELECT COUNT(*) FROM users; and your smoke tests against it, note how long the restore took, then delete the instance.',
      timeoutMs: RESTORE_TIME_OBJECTIVE_MS + 10 * 60_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'restore a backup into a scratch cluster');
        state.reset(ctx);
        const report = await verifyLabBackup(lab, { onProgress: (l) => ctx.output(l) });
        state.set(ctx, 'report', report);
        for (const c of report.checks) ctx.output(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
        // A failed restore is final: fail the step now rather than poll a verification that cannot change.
        const judged = judgeReport(report);
        if (!judged.ok) throw new Error(judged.detail);
      },
      async verify(ctx) {
        const { report } = state.of(ctx);
        return report ? judgeReport(report) : { ok: false, detail: 'no restore was run' };
      },
    },
    {
      id: 'confirm-destroyed',
      title: 'Confirm that the scratch cluster is gone',
      why: 'The restored copy holds production data and a port: a weekly test must leave nothing behind.',
      expect: 'No scratch cluster directory and no server left beside the lab.',
      command: { kind: 'action', text: 'list <lab server root>/scratch: it must be empty' },
      manual: 'Check that the staging restore instance is deleted (aws rds describe-db-instances).',
      timeoutMs: 30_000,
      async verify(ctx) {
        const lab = requireLab(ctx, 'inspect the scratch directory');
        const root = labScratchRoot(lab);
        const left = existsSync(root) ? readdirSync(root) : [];
        state.reset(ctx);
        return { ok: left.length === 0, detail: left.length ? `left behind in ${root}: ${left.join(', ')}` : 'no scratch cluster left' };
      },
    },
  ],
});
