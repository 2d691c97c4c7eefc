import { instanceFlagCheck } from './rds-instance-flag.ts';

/** `rds-multi-az`: a Multi-AZ deployment (a standby in another zone, automatic failover). */
export const rdsMultiAzCheck = instanceFlagCheck({
  id: 'rds-multi-az',
  group: 'backups',
  title: 'RDS Multi-AZ',
  seedSection: '6. Disaster Recovery (primary failure: Multi-AZ failover)',
  expected: 'a Multi-AZ deployment (a standby in another zone, automatic failover)',
  isOn: (i) => i.MultiAZ === true,
  on: 'Multi-AZ: a standby in another availability zone takes over on failure',
  off: 'single-AZ: a failure of the instance or its zone means a restore, not a failover',
  fix: (id) => `aws rds modify-db-instance --db-instance-identifier ${id} --multi-az --apply-immediately`,
  offStatus: 'fail',
});
