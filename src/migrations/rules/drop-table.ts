import type { Rule } from '../judgement.ts';

/** `DROP TABLE` (also views and materialized views, schemas): ACCESS EXCLUSIVE; the data is gone. */
export const dropTable: Rule = {
  matches: ['DropStmt:OBJECT_TABLE', 'DropStmt:OBJECT_SCHEMA', 'DropStmt:OBJECT_MATVIEW'],
  judge(node) {
    const names = (node.objects ?? []).map((o: { List?: { items?: Array<{ String?: { sval?: string } }> }; String?: { sval?: string } }) => (o.List?.items ?? [o]).map((i) => i.String?.sval).filter(Boolean).join('.'));
    const what = String(node.removeType).replace('OBJECT_', '').replace('MATVIEW', 'MATERIALIZED VIEW');
    return {
      rule: 'drop-table',
      action: `DROP ${what} ${names.join(', ')}${node.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`,
      table: names[0],
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'no',
      losesData: true,
      dangerous: true,
      why: `Everything in it is gone${node.behavior === 'DROP_CASCADE' ? ', with every object that depends on it (CASCADE)' : ''}; only a backup and PITR bring it back, and code still using it fails.`,
      safe: 'Stop using it in the code first, take a backup (or rename it aside for a release), then drop it.',
    };
  },
};
