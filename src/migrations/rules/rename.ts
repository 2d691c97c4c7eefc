import { relationName, type Rule } from '../judgement.ts';

/** `ALTER TABLE ... RENAME` (a table or a column): ACCESS EXCLUSIVE briefly; every query of code using the old name fails at once. */
export const rename: Rule = {
  matches: ['RenameStmt'],
  judge(node) {
    const what = String(node.renameType).replace('OBJECT_', '').toLowerCase();
    const from = node.subname ?? relationName(node.relation) ?? '?';
    return {
      rule: 'rename',
      action: `RENAME ${what} ${from} TO ${node.newname}`,
      table: relationName(node.relation),
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'no',
      losesData: false,
      dangerous: true,
      why: 'Running code that uses the old name fails from the moment it commits (a deploy is never instant).',
      safe: 'Code first: deploy code that works with both names (or add the new column, write both, backfill, switch reads), rename (or drop the old) in a later release. For a table, a view with the old name can bridge the deploy.',
    };
  },
};
