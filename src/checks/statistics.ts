import pg from 'pg';
import { defineCheck, listSome } from './check.ts';
import { showAge } from './guc.ts';

/** How long a table may stay past its analyze threshold before it counts as stale. */
export const STALE_STATS_MS = 86_400_000;

/** One table of a service database with what its statistics say. */
export interface TableStats {
  database: string;
  schema: string;
  table: string;
  liveRows: number;
  modifiedSinceAnalyze: number;
  /** Rows that must change before autovacuum analyzes it (autovacuum_analyze_threshold + scale factor × reltuples). */
  threshold: number;
  /** Since the last ANALYZE or autoanalyze; null: never analysed. */
  analyzedAgoMs: number | null;
}

/**
 * `statistics`: every table of the service databases was analysed, and none
 * has had more rows changed than its analyze threshold for over a day.
 */
export const statisticsCheck = defineCheck<TableStats[]>({
  id: 'statistics',
  group: 'performance',
  title: 'Statistics analysed',
  seedSection: '10. Pre-Production Checklist: Statistics analyzed',
  expected: 'every table analysed; none past its analyze threshold (n_mod_since_analyze) for more than a day',
  async read(ctx) {
    const out: TableStats[] = [];
    for (const s of ctx.system.services) {
      const rows = await ctx.query(
        s.database,
        `SELECT st.schemaname, st.relname, st.n_live_tup::bigint AS live, st.n_mod_since_analyze::bigint AS modified,
                current_setting('autovacuum_analyze_threshold')::float8 + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0) AS threshold,
                (extract(epoch FROM now() - greatest(st.last_analyze, st.last_autoanalyze)) * 1000)::bigint AS ago_ms
           FROM pg_stat_user_tables st JOIN pg_class c ON c.oid = st.relid ORDER BY 1, 2`,
      );
      for (const r of rows) {
        out.push({ database: s.database, schema: String(r.schemaname), table: String(r.relname), liveRows: Number(r.live), modifiedSinceAnalyze: Number(r.modified), threshold: Number(r.threshold), analyzedAgoMs: r.ago_ms === null ? null : Number(r.ago_ms) });
      }
    }
    return out;
  },
  judge(tables) {
    const never = tables.filter((t) => t.analyzedAgoMs === null && (t.liveRows > 0 || t.modifiedSinceAnalyze > 0));
    const stale = tables.filter((t) => t.analyzedAgoMs !== null && t.modifiedSinceAnalyze > t.threshold && t.analyzedAgoMs > STALE_STATS_MS);
    if (never.length === 0 && stale.length === 0) return { status: 'pass', found: `${tables.length} tables in the service databases analysed and current` };
    const name = (t: TableStats) => `${t.database}.${t.schema}.${t.table}`;
    const found = [
      never.length ? `never analysed: ${listSome(never.map((t) => `${name(t)} (${t.liveRows + t.modifiedSinceAnalyze} rows changed)`), 3)}` : '',
      stale.length ? `stale: ${listSome(stale.map((t) => `${name(t)} (${t.modifiedSinceAnalyze} rows changed, analysed ${showAge(t.analyzedAgoMs!)} ago)`), 3)}` : '',
    ].filter(Boolean).join('; ');
    const fix = [...never, ...stale].map((t) => `ANALYZE ${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.table)}; (in ${t.database})`).join(' ');
    return { status: 'fail', found, fix: `${fix} and check that autovacuum runs (SHOW autovacuum; per-table autovacuum_enabled)` };
  },
});
