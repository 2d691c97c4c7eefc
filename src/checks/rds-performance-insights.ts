import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** `rds-performance-insights`: Performance Insights on. */
export const rdsPerformanceInsightsCheck = defineCheck<{ instance: string; on: boolean }>({
  id: 'rds-performance-insights',
  group: 'monitoring',
  title: 'RDS Performance Insights',
  seedSection: '9. Monitoring (slow queries)',
  expected: 'Performance Insights on',
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', on: i.PerformanceInsightsEnabled === true };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'Performance Insights is on' };
    return { status: 'warn', found: 'Performance Insights is off', fix: `aws rds modify-db-instance --db-instance-identifier ${f.instance} --enable-performance-insights --apply-immediately` };
  },
});
