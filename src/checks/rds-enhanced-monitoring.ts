import { instanceFlagCheck } from './rds-instance-flag.ts';

/** `rds-enhanced-monitoring`: Enhanced Monitoring on (OS metrics every 60 s or more often). */
export const rdsEnhancedMonitoringCheck = instanceFlagCheck({
  id: 'rds-enhanced-monitoring',
  group: 'monitoring',
  title: 'RDS Enhanced Monitoring',
  seedSection: '9. Monitoring (key metrics)',
  expected: 'Enhanced Monitoring on (OS metrics every 60 s or more often)',
  isOn: (i) => (i.MonitoringInterval ?? 0) > 0,
  on: 'Enhanced Monitoring is on',
  off: 'Enhanced Monitoring is off (MonitoringInterval 0)',
  fix: (id) => `aws rds modify-db-instance --db-instance-identifier ${id} --monitoring-interval 60 --monitoring-role-arn <rds-monitoring-role ARN> --apply-immediately`,
  offStatus: 'warn',
});
