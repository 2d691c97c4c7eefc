import type { Judgement, Rule } from '../judgement.ts';

/**
 * `ADD CONSTRAINT`: a FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables
 * and a CHECK takes ACCESS EXCLUSIVE, each held while every row is
 * validated, unless NOT VALID; UNIQUE and PRIMARY KEY build an index under
 * ACCESS EXCLUSIVE unless USING INDEX names one built concurrently.
 */
export const addConstraint: Rule = {
  matches: ['AT_AddConstraint'],
  judge(cmd, ctx) {
    const c = cmd.def?.Constraint ?? {};
    const kind = String(c.contype ?? '').replace('CONSTR_', '');
    const label = { FOREIGN: 'FOREIGN KEY', PRIMARY: 'PRIMARY KEY' }[kind] ?? kind;
    const action = `ADD CONSTRAINT ${c.conname ?? ''} ${label}`.replace(/\s+/g, ' ');
    const base = { rule: 'add-constraint', action, table: ctx.table, losesData: false };
    const notValid = c.skip_validation === true;
    if (kind === 'FOREIGN' || kind === 'CHECK') {
      const lock = kind === 'FOREIGN' ? ('SHARE ROW EXCLUSIVE' as const) : ('ACCESS EXCLUSIVE' as const);
      if (notValid) return { ...base, lock, lockHeld: 'brief', rewrites: 'no', dangerous: false, why: 'NOT VALID: checked for new rows only, existing rows are not scanned; the lock is brief. Run VALIDATE CONSTRAINT next (SHARE UPDATE EXCLUSIVE).' } satisfies Judgement;
      return {
        ...base,
        lock,
        lockHeld: 'long',
        rewrites: 'scan',
        dangerous: true,
        why: `Validates every existing row while holding ${lock}${kind === 'FOREIGN' ? ' on this table and the referenced one (writes to both wait)' : ' (reads and writes wait)'}.`,
        safe: 'ADD CONSTRAINT ... NOT VALID (brief lock, new rows checked), then ALTER TABLE ... VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE: reads and writes go on).',
      } satisfies Judgement;
    }
    if ((kind === 'UNIQUE' || kind === 'PRIMARY') && !c.indexname) {
      return {
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        lockHeld: 'long',
        rewrites: 'scan',
        dangerous: true,
        why: `Builds a unique index under ACCESS EXCLUSIVE: on a table with rows every query waits for the build, and it fails if duplicates exist. Safe on an empty table (the seed's case).`,
        safe: `CREATE UNIQUE INDEX CONCURRENTLY ... ; then ALTER TABLE ... ADD CONSTRAINT ... ${label} USING INDEX ... (a brief lock).`,
      } satisfies Judgement;
    }
    return { ...base, lock: 'ACCESS EXCLUSIVE', lockHeld: 'brief', rewrites: 'no', dangerous: false, why: c.indexname ? 'USING INDEX: the index exists already; only a brief catalog change.' : `A ${label} constraint: a brief catalog change.` } satisfies Judgement;
  },
};
