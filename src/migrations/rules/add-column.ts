import { typeName, type Rule } from '../judgement.ts';

/** Functions PostgreSQL evaluates once per statement (stable or immutable): a default using them is stored in the catalog, no rewrite. */
const STABLE_FUNCTIONS = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_timestamp', 'localtimestamp', 'current_date', 'lower', 'upper', 'coalesce', 'to_jsonb', 'jsonb_build_object', 'json_build_object', 'make_interval', 'current_setting']);
const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** Function names called anywhere in an expression node. */
function calledFunctions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) calledFunctions(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'FuncCall') {
        const names = ((value as { funcname?: Array<{ String?: { sval?: string } }> }).funcname ?? []).map((n) => n.String?.sval ?? '');
        out.push(names.filter((n) => n !== 'pg_catalog').join('.'));
      }
      calledFunctions(value, out);
    }
  }
  return out;
}

/**
 * `ALTER TABLE ... ADD COLUMN`: ACCESS EXCLUSIVE, briefly, when the column
 * is nullable without default or has a non-volatile default (PostgreSQL 11+
 * stores it in the catalog). A volatile default (clock_timestamp(),
 * gen_random_uuid(), nextval: serial types, identity) or a stored generated
 * column rewrites the whole table under that lock; NOT NULL without a
 * default fails on a table that has rows.
 */
export const addColumn: Rule = {
  matches: ['AT_AddColumn'],
  judge(cmd, ctx) {
    const def = cmd.def?.ColumnDef ?? {};
    const name = String(def.colname ?? '?');
    const type = typeName(def.typeName);
    const constraints: Array<{ contype?: string; raw_expr?: unknown }> = (def.constraints ?? []).map((c: { Constraint?: unknown }) => c.Constraint ?? {});
    const dflt = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
    const notNull = constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
    const base = { rule: 'add-column', action: `ADD COLUMN ${name}`, table: ctx.table, lock: 'ACCESS EXCLUSIVE' as const, losesData: false };
    const volatile = dflt ? calledFunctions(dflt.raw_expr).filter((f) => !STABLE_FUNCTIONS.has(f.toLowerCase())) : [];
    const rewriteBy = SERIAL_TYPES.has(type.toLowerCase())
      ? `the ${type} type's default (nextval) is volatile`
      : constraints.some((c) => c.contype === 'CONSTR_IDENTITY')
        ? 'an identity column fills every row from its sequence'
        : constraints.some((c) => c.contype === 'CONSTR_GENERATED')
          ? 'a stored generated column is computed for every row'
          : volatile.length
            ? `its default calls ${volatile.map((f) => `${f}()`).join(', ')}, which PostgreSQL evaluates per row if volatile`
            : undefined;
    if (rewriteBy) {
      return {
        ...base,
        rule: 'add-column-rewrite',
        lockHeld: 'long',
        rewrites: volatile.length && !['clock_timestamp', 'random', 'gen_random_uuid', 'uuid_generate_v4', 'uuid_generate_v1', 'nextval', 'timeofday'].includes(volatile[0]!.toLowerCase()) ? 'maybe' : 'yes',
        dangerous: true,
        why: `Rewrites the whole table under ACCESS EXCLUSIVE: ${rewriteBy}. Every read and write of the table waits for the rewrite.`,
        safe: 'Add the column nullable without a default (or with a constant default), deploy code that fills it for new rows, backfill existing rows in batches, then add the default and constraints.',
      };
    }
    if (notNull && !dflt) {
      return {
        ...base,
        rule: 'add-column-not-null',
        lockHeld: 'brief',
        rewrites: 'no',
        dangerous: true,
        why: 'NOT NULL without a default fails on a table that has rows ("column contains null values"): the deploy stops half-way.',
        safe: 'Add the column nullable (or with a constant default), backfill it in batches, then ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, and SET NOT NULL (which then skips the scan).',
      };
    }
    return {
      ...base,
      lockHeld: 'brief',
      rewrites: 'no',
      dangerous: false,
      why: dflt ? 'A non-volatile default is stored in the catalog (PostgreSQL 11+): no rewrite, the lock is held only for the catalog change.' : 'A nullable column without a default is a catalog change only: no rewrite, the lock is held briefly.',
    };
  },
};
