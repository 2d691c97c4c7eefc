import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** `rds-enhanced-monitoring`: Enhanced Monitoring on (OS metrics every 60 s or more often). */
export const rdsEnhancedMonitoringCheck = defineCheck<{ instance: string; on: boolean }>({
  id: 'rds-enhanced-monitoring',
  group: 'monitoring',
  title: 'RDS Enhanced Monitoring',
  seedSection: '9. Monitoring (key metrics)',
  expected: 'Enhanced Monitoring on (OS metrics every 60 s or more often)',
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', on: (i.MonitoringInterval ?? 0) > 0 };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'Enhanced Monitoring is on' };
    return { status: 'warn', found: 'Enhanced Monitoring is off (MonitoringInterval 0)', fix: `aws rds modify-db-instance --db-instance-identifier ${f.instance} --monitoring-interval 60 --monitoring-role-arn <rds-monitoring-role ARN> --apply-immediately` };
  },
});
