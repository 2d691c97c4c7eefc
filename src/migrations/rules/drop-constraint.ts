import type { Rule } from '../judgement.ts';

/** `DROP CONSTRAINT`: ACCESS EXCLUSIVE briefly; the database stops enforcing a rule the code may rely on (the seed lists it as dangerous). */
export const dropConstraint: Rule = {
  matches: ['AT_DropConstraint'],
  judge(cmd, ctx) {
    return {
      rule: 'drop-constraint',
      action: `DROP CONSTRAINT ${cmd.name}`,
      table: ctx.table,
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'no',
      losesData: false,
      dangerous: true,
      why: 'The database stops enforcing the rule (uniqueness, a reference, a check): code that relied on it can now write bad data, and adding it back later needs the data to be clean.',
      safe: 'Make sure no code relies on it (and that the data would still satisfy it); drop it in its own release.',
    };
  },
};
