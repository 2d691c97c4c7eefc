import type { Rule } from '../judgement.ts';

/** `DROP COLUMN`: ACCESS EXCLUSIVE briefly (a catalog change, no rewrite); the column's data is gone, and code still using it fails. */
export const dropColumn: Rule = {
  matches: ['AT_DropColumn'],
  judge(cmd, ctx) {
    return {
      rule: 'drop-column',
      action: `DROP COLUMN ${cmd.name}`,
      table: ctx.table,
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'no',
      losesData: true,
      dangerous: true,
      why: "The column's data is lost (only a backup and PITR bring it back), and every query of code still naming it fails.",
      safe: 'First deploy code that no longer reads or writes the column; take a backup; drop it in a later release (with SET lock_timeout).',
    };
  },
};
