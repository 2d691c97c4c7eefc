import type { Rule } from '../judgement.ts';

/** `VALIDATE CONSTRAINT`: scans the rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on: the safe second half of NOT VALID. */
export const validateConstraint: Rule = {
  matches: ['AT_ValidateConstraint'],
  judge(cmd, ctx) {
    return {
      rule: 'validate-constraint',
      action: `VALIDATE CONSTRAINT ${cmd.name}`,
      table: ctx.table,
      lock: 'SHARE UPDATE EXCLUSIVE',
      lockHeld: 'long',
      rewrites: 'scan',
      losesData: false,
      dangerous: false,
      why: 'Scans existing rows under SHARE UPDATE EXCLUSIVE: reads and writes go on (only other schema changes and VACUUM wait).',
    };
  },
};
