import { defineCheck } from './check.ts';
import { showAge } from './guc.ts';
import { rdsFacts, readable } from './rds-facts.ts';

/** How recent the newest manual snapshot must be (the seed: one before each deployment; deployments are at least weekly). */
export const MANUAL_SNAPSHOT_MAX_AGE_MS = 7 * 86_400_000;

/** How many automated snapshots exist, and the newest manual snapshot (id and age) if any. */
export interface RdsSnapshotFacts {
  instance: string;
  automated: number;
  newestAutomatedAgeMs: number | null;
  newestManual: { id: string; ageMs: number } | null;
}

/** `rds-snapshots`: automated snapshots exist, and a manual one was taken in the last 7 days (before deployments). */
export const rdsSnapshotsCheck = defineCheck<RdsSnapshotFacts>({
  id: 'rds-snapshots',
  group: 'backups',
  title: 'RDS snapshots',
  seedSection: '5. Backup Strategy (manual snapshot before deployments)',
  expected: 'automated snapshots present and a manual snapshot less than 7 days old',
  async read(ctx) {
    const f = rdsFacts(ctx);
    const all = readable(f.snapshots).filter((s) => s.Status === 'available');
    const now = ctx.now.getTime();
    const newest = (type: string) => all.filter((s) => s.SnapshotType === type && s.SnapshotCreateTime).sort((a, b) => b.SnapshotCreateTime!.getTime() - a.SnapshotCreateTime!.getTime())[0];
    const a = newest('automated');
    const m = newest('manual');
    return {
      instance: f.instance.DBInstanceIdentifier ?? '?',
      automated: all.filter((s) => s.SnapshotType === 'automated').length,
      newestAutomatedAgeMs: a ? now - a.SnapshotCreateTime!.getTime() : null,
      newestManual: m ? { id: m.DBSnapshotIdentifier ?? '?', ageMs: now - m.SnapshotCreateTime!.getTime() } : null,
    };
  },
  judge(f) {
    const auto = f.automated ? `${f.automated} automated (newest ${showAge(f.newestAutomatedAgeMs ?? 0)} old)` : 'no automated snapshot';
    const manual = f.newestManual ? `newest manual ${f.newestManual.id} ${showAge(f.newestManual.ageMs)} old` : 'no manual snapshot';
    const found = `${auto}; ${manual}`;
    const snapshotFix = `aws rds create-db-snapshot --db-instance-identifier ${f.instance} --db-snapshot-identifier ${f.instance}-pre-deploy-$(date +%Y%m%d%H%M) (in the deployment pipeline)`;
    if (!f.automated) return { status: 'fail', found, fix: `turn automated backups on: aws rds modify-db-instance --db-instance-identifier ${f.instance} --backup-retention-period 30 --apply-immediately` };
    if (!f.newestManual || f.newestManual.ageMs > MANUAL_SNAPSHOT_MAX_AGE_MS) return { status: 'warn', found, fix: snapshotFix };
    return { status: 'pass', found };
  },
});
