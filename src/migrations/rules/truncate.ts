import { relationName, type Rule } from '../judgement.ts';

/** `TRUNCATE`: ACCESS EXCLUSIVE; every row is gone. */
export const truncate: Rule = {
  matches: ['TruncateStmt'],
  judge(node) {
    const tables = (node.relations ?? []).map((r: { RangeVar?: object }) => relationName(r.RangeVar)).filter(Boolean);
    return {
      rule: 'truncate',
      action: `TRUNCATE ${tables.join(', ')}`,
      table: tables[0],
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'yes',
      losesData: true,
      dangerous: true,
      why: 'Every row of the table is removed (new empty storage); only a backup and PITR bring them back.',
      safe: 'Delete only the rows meant to go, in batches, after a backup.',
    };
  },
};
