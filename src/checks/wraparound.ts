import { defineCheck } from './check.ts';

/** Transaction IDs wrap around at 2^31; the check alarms at half of that. */
export const XID_LIMIT = 2 ** 31;
export const WRAPAROUND_RATIO = 0.5;

/** `wraparound`: the oldest unfrozen transaction ID of every database is below 50% of the wraparound limit. */
export const wraparoundCheck = defineCheck<{ database: string; age: number } | null>({
  id: 'wraparound',
  group: 'monitoring',
  title: 'Transaction ID wraparound',
  seedSection: '9. Monitoring & Maintenance: Vacuum & analyze databases',
  expected: `age(datfrozenxid) below ${WRAPAROUND_RATIO * 100}% of 2^31 in every database`,
  async read(ctx) {
    const [row] = await ctx.query(null, 'SELECT datname, age(datfrozenxid)::bigint AS age FROM pg_database ORDER BY 2 DESC LIMIT 1');
    return row ? { database: String(row.datname), age: Number(row.age) } : null;
  },
  judge(f) {
    if (!f) return { status: 'pass', found: 'no database' };
    const pct = ((f.age / XID_LIMIT) * 100).toFixed(f.age / XID_LIMIT < 0.01 ? 3 : 1);
    const found = `oldest: ${f.database}, age ${f.age} (${pct}% of the limit)`;
    if (f.age >= XID_LIMIT * WRAPAROUND_RATIO) return { status: 'fail', found, fix: `VACUUM (FREEZE, VERBOSE); in ${f.database}, and find what holds back the xmin horizon (long transactions, prepared transactions, replication slots)` };
    return { status: 'pass', found };
  },
});
