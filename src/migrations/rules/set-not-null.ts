import type { Rule } from '../judgement.ts';

/** `ALTER COLUMN ... SET NOT NULL`: ACCESS EXCLUSIVE held while every row is scanned (no rewrite), unless a valid CHECK (col IS NOT NULL) already proves it. */
export const setNotNull: Rule = {
  matches: ['AT_SetNotNull'],
  judge(cmd, ctx) {
    return {
      rule: 'set-not-null',
      action: `ALTER COLUMN ${cmd.name} SET NOT NULL`,
      table: ctx.table,
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'long',
      rewrites: 'scan',
      losesData: false,
      dangerous: true,
      why: 'Scans the whole table under ACCESS EXCLUSIVE to prove no NULL exists (no rewrite, but every query waits for the scan); fails if one does.',
      safe: `ALTER TABLE ... ADD CONSTRAINT ${cmd.name}_not_null CHECK (${cmd.name} IS NOT NULL) NOT VALID; then VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE: reads and writes go on); then SET NOT NULL skips the scan (PostgreSQL 12+), and the CHECK can be dropped.`,
    };
  },
};
