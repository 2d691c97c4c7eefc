import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** The seed's retention of automated backups (days). */
export const RDS_RETENTION_DAYS = 30;

/** The instance and its automated-backup retention (days; 0: automated backups off). */
export interface RdsRetentionFacts {
  instance: string;
  days: number;
}

/** `rds-backup-retention`: automated backups are kept at least 30 days (the PITR window). */
export const rdsBackupRetentionCheck = defineCheck<RdsRetentionFacts>({
  id: 'rds-backup-retention',
  group: 'backups',
  title: 'RDS automated backup retention',
  seedSection: '5. Backup Strategy (RDS automated backups, 30-day retention)',
  expected: `automated backups kept at least ${RDS_RETENTION_DAYS} days`,
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', days: i.BackupRetentionPeriod ?? 0 };
  },
  judge(f) {
    const fix = `aws rds modify-db-instance --db-instance-identifier ${f.instance} --backup-retention-period ${RDS_RETENTION_DAYS} --apply-immediately`;
    if (f.days === 0) return { status: 'fail', found: 'automated backups are off (retention 0 days): no point-in-time restore is possible', fix };
    if (f.days < RDS_RETENTION_DAYS) return { status: 'fail', found: `automated backups kept ${f.days} days`, fix };
    return { status: 'pass', found: `automated backups kept ${f.days} days` };
  },
});
