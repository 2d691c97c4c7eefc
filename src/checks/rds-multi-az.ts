import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** `rds-multi-az`: a Multi-AZ deployment (a standby in another zone, automatic failover). */
export const rdsMultiAzCheck = defineCheck<{ instance: string; on: boolean }>({
  id: 'rds-multi-az',
  group: 'backups',
  title: 'RDS Multi-AZ',
  seedSection: '6. Disaster Recovery (primary failure: Multi-AZ failover)',
  expected: 'a Multi-AZ deployment (a standby in another zone, automatic failover)',
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', on: i.MultiAZ === true };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'Multi-AZ: a standby in another availability zone takes over on failure' };
    return { status: 'fail', found: 'single-AZ: a failure of the instance or its zone means a restore, not a failover', fix: `aws rds modify-db-instance --db-instance-identifier ${f.instance} --multi-az --apply-immediately` };
  },
});
