import { relationName, type Rule } from '../judgement.ts';

/** `DELETE` or `UPDATE` in a migration: ROW EXCLUSIVE plus a row lock on every row it touches, held to COMMIT; without WHERE, that is every row. */
export const wholeTableDml: Rule = {
  matches: ['DeleteStmt', 'UpdateStmt'],
  judge(node, ctx) {
    const verb = node.targetList ? 'UPDATE' : 'DELETE';
    const table = relationName(node.relation);
    const all = !node.whereClause;
    if (verb === 'DELETE') {
      return {
        rule: all ? 'delete-all' : 'delete',
        action: `DELETE FROM ${table}${all ? ' (no WHERE)' : ''}`,
        table,
        lock: 'ROW EXCLUSIVE',
        lockHeld: 'long',
        rewrites: 'no',
        losesData: true,
        dangerous: all,
        why: all ? 'Deletes every row of the table.' : 'Deletes the rows it matches: make sure a backup holds them.',
        ...(all ? { safe: 'Delete only the rows meant to go (a WHERE clause), in batches, after a backup.' } : {}),
      };
    }
    return {
      rule: all ? 'update-all' : 'update',
      action: `UPDATE ${table}${all ? ' (no WHERE)' : ''}`,
      table,
      lock: 'ROW EXCLUSIVE',
      lockHeld: 'long',
      rewrites: 'no',
      losesData: false,
      dangerous: all && !ctx.createdHere(table),
      why: all ? 'Updates every row in one transaction: each row stays locked until COMMIT (concurrent writes to them wait), and the whole table is written again (WAL, bloat). Writes the service makes during it are not covered.' : 'Row locks on the rows it matches until COMMIT.',
      ...(all ? { safe: 'Backfill in batches (UPDATE ... WHERE id BETWEEN ...; one transaction per batch), after the code writes the new column for new rows.' } : {}),
    };
  },
};
