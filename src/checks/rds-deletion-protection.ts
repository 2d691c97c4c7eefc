import { instanceFlagCheck } from './rds-instance-flag.ts';

/** `rds-deletion-protection`: deletion protection on. */
export const rdsDeletionProtectionCheck = instanceFlagCheck({
  id: 'rds-deletion-protection',
  group: 'security',
  title: 'RDS deletion protection',
  seedSection: '6. Disaster Recovery (entire database lost)',
  expected: 'deletion protection on',
  isOn: (i) => i.DeletionProtection === true,
  on: 'deletion protection is on',
  off: 'deletion protection is off: one DeleteDBInstance call removes the instance',
  fix: (id) => `aws rds modify-db-instance --db-instance-identifier ${id} --deletion-protection --apply-immediately`,
  offStatus: 'fail',
});
