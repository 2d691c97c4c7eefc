import { defineCheck } from './check.ts';
import { showAge } from './guc.ts';
import { rdsInstance } from './rds-facts.ts';

/** How far behind now the latest restorable time may be (RDS uploads WAL every 5 minutes). */
export const RESTORABLE_LAG_MS = 5 * 60_000;

/** The latest restorable time and how far behind the check's clock it is (null: RDS reports none). */
export interface RestorableFacts {
  latest: string | null;
  behindMs: number | null;
}

/** `rds-latest-restorable-time`: the PITR window is live, its end at most 5 minutes behind now. */
export const rdsLatestRestorableTimeCheck = defineCheck<RestorableFacts>({
  id: 'rds-latest-restorable-time',
  group: 'backups',
  title: 'RDS point-in-time window is live',
  seedSection: '5. Backup Strategy (point-in-time recovery)',
  expected: 'latest restorable time within 5 minutes of now',
  async read(ctx) {
    const t = rdsInstance(ctx).LatestRestorableTime;
    return { latest: t ? t.toISOString() : null, behindMs: t ? Math.max(0, ctx.now.getTime() - t.getTime()) : null };
  },
  judge(f) {
    if (f.latest === null || f.behindMs === null) return { status: 'fail', found: 'RDS reports no latest restorable time (automated backups off, or the instance is not available)', fix: 'turn automated backups on (backup retention > 0) and check the instance status' };
    const found = `latest restorable time ${f.latest}, ${showAge(f.behindMs)} ago`;
    if (f.behindMs > RESTORABLE_LAG_MS) return { status: 'fail', found, fix: 'the WAL upload is behind: check the instance status and events (aws rds describe-events --source-identifier <id>), and open an AWS support case if it stays behind' };
    return { status: 'pass', found };
  },
});
