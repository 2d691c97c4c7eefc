import { defineCheck } from './check.ts';
import { gucMs, showMs } from './guc.ts';

/** The seed's slow-query threshold: 1 s. */
export const SLOW_QUERY_MS = 1000;

/** `slow-query-log`: statements slower than the seed's 1 s are logged (log_min_duration_statement). */
export const slowQueryLogCheck = defineCheck<{ ms: number | null }>({
  id: 'slow-query-log',
  group: 'monitoring',
  title: 'Slow query log',
  seedSection: '7. Query Monitoring: Slow Query Threshold',
  expected: `log_min_duration_statement set, at most ${showMs(SLOW_QUERY_MS)}`,
  async read(ctx) {
    const [row] = await ctx.query(null, "SELECT current_setting('log_min_duration_statement') AS v");
    return { ms: gucMs(String(row?.v)) ?? null };
  },
  judge(f) {
    const fix = `ALTER SYSTEM SET log_min_duration_statement = '${SLOW_QUERY_MS}ms'; SELECT pg_reload_conf();`;
    if (f.ms === null || f.ms < 0) return { status: 'fail', found: 'log_min_duration_statement = -1: slow queries are not logged', fix };
    if (f.ms > SLOW_QUERY_MS) return { status: 'warn', found: `log_min_duration_statement = ${showMs(f.ms)}: queries between ${showMs(SLOW_QUERY_MS)} and that go unlogged`, fix };
    return { status: 'pass', found: `log_min_duration_statement = ${showMs(f.ms)}` };
  },
});
