import pg from 'pg';
import { defineCheck, listSome } from './check.ts';
import type { RecommendedIndex } from './system.ts';

/** What the `indexes` check read: recommended indexes missing, and foreign keys no index starts with. */
export interface IndexFacts {
  recommended: number;
  missing: RecommendedIndex[];
  unindexedForeignKeys: Array<{ database: string; schema: string; table: string; constraint: string; columns: string[] }>;
}

/** The leading columns of every valid index on a table, by table. */
const INDEX_COLUMNS_SQL = `SELECT n.nspname AS schema, t.relname AS table, i.indexrelid::regclass::text AS index,
    ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const FOREIGN_KEYS_SQL = `SELECT n.nspname AS schema, t.relname AS table, c.conname AS constraint,
    ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2, 3`;

function startsWith(index: readonly string[], columns: readonly string[], anyOrder = false): boolean {
  if (index.length < columns.length) return false;
  const head = index.slice(0, columns.length);
  return anyOrder ? columns.every((c) => head.includes(c)) : columns.every((c, i) => head[i] === c);
}

/**
 * `indexes`: the seed's recommended indexes exist (an index whose leading
 * columns are the recommended ones, in order, whatever its name); a foreign
 * key that no index starts with is a warning.
 */
export const indexesCheck = defineCheck<IndexFacts>({
  id: 'indexes',
  group: 'performance',
  title: 'Recommended indexes',
  seedSection: '7. Performance Optimization: Indexes Strategy',
  expected: 'every index the seed recommends exists; every foreign key has an index starting with its columns',
  async read(ctx) {
    const missing: RecommendedIndex[] = [];
    const unindexed: IndexFacts['unindexedForeignKeys'] = [];
    for (const db of [...new Set(ctx.system.services.map((s) => s.database))]) {
      const indexes = await ctx.query(db, INDEX_COLUMNS_SQL);
      const on = (schema: string, table: string) => indexes.filter((i) => i.schema === schema && i.table === table).map((i) => i.columns as string[]);
      for (const rec of ctx.system.recommendedIndexes.filter((r) => r.database === db)) {
        if (!on('public', rec.table).some((cols) => startsWith(cols, rec.columns))) missing.push(rec);
      }
      for (const fk of await ctx.query(db, FOREIGN_KEYS_SQL)) {
        const columns = fk.columns as string[];
        if (!on(String(fk.schema), String(fk.table)).some((cols) => startsWith(cols, columns, true))) unindexed.push({ database: db, schema: String(fk.schema), table: String(fk.table), constraint: String(fk.constraint), columns });
      }
    }
    return { recommended: ctx.system.recommendedIndexes.length, missing, unindexedForeignKeys: unindexed };
  },
  judge(f) {
    const create = (table: string, columns: readonly string[]) => `CREATE INDEX CONCURRENTLY ON ${pg.escapeIdentifier(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')});`;
    if (f.missing.length) {
      return {
        status: 'fail',
        found: `missing: ${listSome(f.missing.map((m) => `${m.database}.${m.table} (${m.columns.join(', ')})`), 3)}${f.unindexedForeignKeys.length ? `; ${f.unindexedForeignKeys.length} foreign key(s) without an index` : ''}`,
        fix: f.missing.map((m) => `${create(m.table, m.columns)} (in ${m.database})`).join(' '),
      };
    }
    if (f.unindexedForeignKeys.length) {
      return {
        status: 'warn',
        found: `all ${f.recommended} recommended indexes exist; foreign keys without an index: ${listSome(f.unindexedForeignKeys.map((k) => `${k.database}.${k.table} (${k.columns.join(', ')})`), 3)}`,
        fix: f.unindexedForeignKeys.map((k) => `${create(k.table, k.columns)} (in ${k.database})`).join(' '),
      };
    }
    return { status: 'pass', found: `all ${f.recommended} recommended indexes exist; every foreign key is indexed` };
  },
});
