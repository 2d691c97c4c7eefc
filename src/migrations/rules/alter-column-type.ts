import { typeName, type Rule } from '../judgement.ts';

/**
 * `ALTER COLUMN ... TYPE`: ACCESS EXCLUSIVE, and a rewrite of the table
 * and its indexes unless the change is binary-coercible (varchar(n) to a
 * longer varchar or to text, a numeric's precision raised at the same
 * scale), which the SQL alone cannot show. The conversion can fail or lose
 * precision (the seed: "data conversion risk").
 */
export const alterColumnType: Rule = {
  matches: ['AT_AlterColumnType'],
  judge(cmd, ctx) {
    const def = cmd.def?.ColumnDef ?? {};
    const to = typeName(def.typeName);
    const maybeCoercible = !def.raw_default && ['varchar', 'text', 'numeric'].includes(to.toLowerCase());
    return {
      rule: 'alter-column-type',
      action: `ALTER COLUMN ${cmd.name} TYPE ${to}`,
      table: ctx.table,
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'long',
      rewrites: maybeCoercible ? 'maybe' : 'yes',
      losesData: true,
      dangerous: true,
      why: `Rewrites the table and rebuilds its indexes under ACCESS EXCLUSIVE${maybeCoercible ? ' (not when the change is binary-coercible: varchar widened or to text, numeric precision raised at the same scale; still ACCESS EXCLUSIVE)' : ''}; every value is converted, which can fail or lose precision, and code reading the old type may break.`,
      safe: 'Add a new column of the new type, write both from the code, backfill in batches, switch reads, then drop the old column in a later release.',
    };
  },
};
