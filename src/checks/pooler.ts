import { describeError } from '../core/errors.ts';
import { queryOnce } from '../util/query-once.ts';
import { CheckSkipped, defineCheck } from './check.ts';

/** What the pooler's admin console said: its pool_mode, or why it did not answer. */
export interface PoolerFacts {
  answered: boolean;
  poolMode: string | null;
  error: string | null;
}

/**
 * `pooler`: a PgBouncer is in front of the server: its admin console
 * answers and `pool_mode = transaction`. Without a declared pooler (a
 * `--pooler` URL; later a config's or the lab's), it skips, saying so.
 */
export const poolerCheck = defineCheck<PoolerFacts>({
  id: 'pooler',
  group: 'connections',
  title: 'Connection pooler (PgBouncer)',
  seedSection: '4. Connection Pooling: Solution: Connection Pooling with PgBouncer',
  expected: 'a PgBouncer in front whose admin console answers, pool_mode = transaction',
  async read(ctx) {
    if (!ctx.pooler) throw new CheckSkipped('no pooler is configured (pass --pooler with the URL of PgBouncer\'s admin console, database pgbouncer)');
    try {
      // The admin console speaks only the simple query protocol, and SHOW CONFIG's rows are key/value pairs.
      const rows = await queryOnce({ connectionString: ctx.pooler.adminUrl, connectionTimeoutMillis: 5000 }, 'SHOW CONFIG');
      const mode = rows.find((r) => r.key === 'pool_mode');
      return { answered: true, poolMode: mode ? String(mode.value) : null, error: null };
    } catch (error) {
      return { answered: false, poolMode: null, error: describeError(error) };
    }
  },
  judge(f) {
    if (!f.answered) return { status: 'fail', found: `the pooler's admin console did not answer: ${f.error}`, fix: 'start PgBouncer, or check the --pooler URL (admin_users / stats_users in pgbouncer.ini)' };
    if (f.poolMode !== 'transaction') return { status: 'fail', found: `pool_mode = ${f.poolMode ?? 'unknown'}`, fix: 'set pool_mode = transaction in pgbouncer.ini, then RELOAD; on the admin console' };
    return { status: 'pass', found: 'PgBouncer answers; pool_mode = transaction' };
  },
});
