import { instanceFlagCheck } from './rds-instance-flag.ts';

/** `rds-performance-insights`: Performance Insights on. */
export const rdsPerformanceInsightsCheck = instanceFlagCheck({
  id: 'rds-performance-insights',
  group: 'monitoring',
  title: 'RDS Performance Insights',
  seedSection: '9. Monitoring (slow queries)',
  expected: 'Performance Insights on',
  isOn: (i) => i.PerformanceInsightsEnabled === true,
  on: 'Performance Insights is on',
  off: 'Performance Insights is off',
  fix: (id) => `aws rds modify-db-instance --db-instance-identifier ${id} --enable-performance-insights --apply-immediately`,
  offStatus: 'warn',
});
