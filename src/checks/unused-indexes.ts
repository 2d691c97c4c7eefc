import pg from 'pg';
import { defineCheck, listSome } from './check.ts';

/** A table counts as busy (its unused indexes are worth a look) once it was read this many times since statistics began. */
export const BUSY_TABLE_SCANS = 1000;

/** An index never scanned on a busy table; it is not unique and backs no constraint. */
export interface UnusedIndex {
  database: string;
  index: string;
  table: string;
  tableScans: number;
  sizeBytes: number;
}

/**
 * `unused-indexes` (a warning at most): indexes never used on tables that
 * were read at least 1000 times since statistics began; unique indexes,
 * those backing a constraint and those serving a foreign key (what the
 * `indexes` check asks for) are left out: they enforce something. A
 * young or idle server has no busy table, so nothing is called unused.
 */
export const unusedIndexesCheck = defineCheck<UnusedIndex[]>({
  id: 'unused-indexes',
  group: 'performance',
  title: 'Unused indexes',
  seedSection: '7. Performance Optimization: Rules (don\'t over-index)',
  expected: `no index left unused on a table read ${BUSY_TABLE_SCANS}+ times (it slows every write)`,
  async read(ctx) {
    const out: UnusedIndex[] = [];
    for (const s of ctx.system.services) {
      const rows = await ctx.query(
        s.database,
        `SELECT ui.schemaname || '.' || ui.indexrelname AS index, ui.schemaname || '.' || ui.relname AS table,
                (coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0))::bigint AS table_scans, pg_relation_size(ui.indexrelid)::bigint AS size
           FROM pg_stat_user_indexes ui JOIN pg_stat_user_tables t ON t.relid = ui.relid JOIN pg_index i ON i.indexrelid = ui.indexrelid
          WHERE ui.idx_scan = 0 AND NOT i.indisunique AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ui.indexrelid)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = i.indrelid
                            AND (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey AND f.conkey @> (i.indkey::int2[])[0:cardinality(f.conkey) - 1])
            AND coalesce(t.seq_scan, 0) + coalesce(t.idx_scan, 0) >= $1
          ORDER BY 1`,
        [BUSY_TABLE_SCANS],
      );
      for (const r of rows) out.push({ database: s.database, index: String(r.index), table: String(r.table), tableScans: Number(r.table_scans), sizeBytes: Number(r.size) });
    }
    return out;
  },
  judge(unused) {
    if (unused.length === 0) return { status: 'pass', found: `no unused index on a table read ${BUSY_TABLE_SCANS}+ times` };
    return {
      status: 'warn',
      found: listSome(unused.map((u) => `${u.database}.${u.index} (0 scans; ${u.table} read ${u.tableScans} times)`), 3),
      fix: `if no query needs it: ${unused.map((u) => `DROP INDEX CONCURRENTLY ${u.index.split('.').map((p) => pg.escapeIdentifier(p)).join('.')}; (in ${u.database})`).join(' ')}`,
    };
  },
});
