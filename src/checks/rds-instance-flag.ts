import type { DBInstance } from '@aws-sdk/client-rds';
import { defineCheck, type Check, type CheckGroup } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** The instance and whether the setting a flag check reads is on. */
export interface InstanceFlagFacts {
  instance: string;
  on: boolean;
}

/** What one yes/no setting of an RDS instance check says: its identity, how to read it, the words for on and off, the fix, how bad off is. */
export interface InstanceFlagSpec {
  id: string;
  group: CheckGroup;
  title: string;
  seedSection: string;
  expected: string;
  isOn: (i: DBInstance) => boolean;
  on: string;
  off: string;
  fix: (instance: string) => string;
  /** How a setting that is off is judged. */
  offStatus: 'fail' | 'warn';
}

/** A check of one yes/no setting of the RDS instance (DescribeDBInstances): pass when on, `offStatus` with the fix when off. */
export function instanceFlagCheck(spec: InstanceFlagSpec): Check<InstanceFlagFacts> {
  return defineCheck<InstanceFlagFacts>({
    id: spec.id,
    group: spec.group,
    title: spec.title,
    seedSection: spec.seedSection,
    expected: spec.expected,
    async read(ctx) {
      const i = rdsInstance(ctx);
      return { instance: i.DBInstanceIdentifier ?? '?', on: spec.isOn(i) };
    },
    judge(f) {
      if (f.on) return { status: 'pass', found: spec.on };
      return { status: spec.offStatus, found: spec.off, fix: spec.fix(f.instance) };
    },
  });
}
