import { relationName, type Rule } from '../judgement.ts';

/**
 * `CREATE INDEX`: SHARE on the table for the whole build (reads go on,
 * every write waits); CONCURRENTLY takes SHARE UPDATE EXCLUSIVE and lets
 * writes go on, but cannot run inside a transaction block.
 */
export const createIndex: Rule = {
  matches: ['IndexStmt'],
  judge(node) {
    const table = relationName(node.relation);
    const action = `CREATE ${node.unique ? 'UNIQUE ' : ''}INDEX${node.concurrent ? ' CONCURRENTLY' : ''} ${node.idxname ?? ''}`.trim();
    if (node.concurrent) {
      return { rule: 'create-index', action, table, lock: 'SHARE UPDATE EXCLUSIVE', lockHeld: 'long', rewrites: 'no', losesData: false, dangerous: false, why: 'Builds the index while reads and writes go on. It cannot run inside a transaction block, and a build that fails leaves an INVALID index to drop before retrying.' };
    }
    return {
      rule: 'create-index',
      action,
      table,
      lock: 'SHARE',
      lockHeld: 'long',
      rewrites: 'no',
      losesData: false,
      dangerous: true,
      why: 'Holds SHARE on the table for the whole build: reads go on, but every INSERT, UPDATE and DELETE waits until the index is built.',
      safe: 'CREATE INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: writes go on), outside a transaction block.',
    };
  },
};
