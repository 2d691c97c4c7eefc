import type { Rule } from '../judgement.ts';

/** `VACUUM FULL` and `CLUSTER`: rewrite the whole table under ACCESS EXCLUSIVE. */
export const rewriteTable: Rule = {
  matches: ['VacuumStmt', 'ClusterStmt'],
  judge(node, ctx) {
    const full = (node.options ?? []).some((o: { DefElem?: { defname?: string } }) => o.DefElem?.defname === 'full');
    if (ctx.kind === 'VacuumStmt' && !full) {
      return { rule: 'vacuum', action: 'VACUUM', lock: 'SHARE UPDATE EXCLUSIVE', lockHeld: 'long', rewrites: 'no', losesData: false, dangerous: false, why: 'Plain VACUUM (or ANALYZE) lets reads and writes go on.' };
    }
    return {
      rule: 'rewrite-table',
      action: full ? 'VACUUM FULL' : 'CLUSTER',
      lock: 'ACCESS EXCLUSIVE',
      lockHeld: 'long',
      rewrites: 'yes',
      losesData: false,
      dangerous: true,
      why: 'Rewrites the whole table under ACCESS EXCLUSIVE: every read and write waits until it is done.',
      safe: 'Do not run it in a migration; use pg_repack (or plain VACUUM) in a maintenance window.',
    };
  },
};
