import type { Rule } from '../judgement.ts';

/** `DROP INDEX`: ACCESS EXCLUSIVE on the index's table, briefly (it waits for every running query on the table first); CONCURRENTLY does not block. */
export const dropIndex: Rule = {
  matches: ['DropStmt:OBJECT_INDEX'],
  judge(node) {
    return {
      rule: 'drop-index',
      action: `DROP INDEX${node.concurrent ? ' CONCURRENTLY' : ''}`,
      lock: node.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
      lockHeld: 'brief',
      rewrites: 'no',
      losesData: false,
      dangerous: false,
      why: node.concurrent ? 'Drops the index without blocking reads or writes.' : 'Brief, but it takes ACCESS EXCLUSIVE on the table: it queues behind any long query and every query queues behind it.',
      ...(node.concurrent ? {} : { safe: 'DROP INDEX CONCURRENTLY (outside a transaction block), or SET lock_timeout first.' }),
    };
  },
};
