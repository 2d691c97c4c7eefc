import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** `rds-deletion-protection`: deletion protection on. */
export const rdsDeletionProtectionCheck = defineCheck<{ instance: string; on: boolean }>({
  id: 'rds-deletion-protection',
  group: 'security',
  title: 'RDS deletion protection',
  seedSection: '6. Disaster Recovery (entire database lost)',
  expected: 'deletion protection on',
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', on: i.DeletionProtection === true };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'deletion protection is on' };
    return { status: 'fail', found: 'deletion protection is off: one DeleteDBInstance call removes the instance', fix: `aws rds modify-db-instance --db-instance-identifier ${f.instance} --deletion-protection --apply-immediately` };
  },
});
