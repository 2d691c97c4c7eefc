import { defineCheck } from './check.ts';

/** The seed's alert threshold: connections above 80% of what clients may use. */
export const HEADROOM_RATIO = 0.8;

/** Connections in use, what ordinary clients may use, and the sum of the services' pool sizes. */
export interface HeadroomFacts {
  inUse: number;
  maxConnections: number;
  reserved: number;
  poolSum: number;
}

/**
 * `connection-headroom`: client connections in use stay under 80% of
 * `max_connections` minus the reserved slots, and the services' pools
 * together leave that headroom too.
 */
export const connectionHeadroomCheck = defineCheck<HeadroomFacts>({
  id: 'connection-headroom',
  group: 'connections',
  title: 'Connection headroom',
  seedSection: '9. Monitoring: Key Metrics (Connections > 80 of 100 max); 4. Connection Pooling',
  expected: `connections in use and the sum of the service pools each below ${HEADROOM_RATIO * 100}% of max_connections - reserved connections`,
  async read(ctx) {
    const [row] = await ctx.query(
      null,
      `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use,
              current_setting('max_connections')::int AS max_connections,
              current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved`,
    );
    return { inUse: Number(row?.in_use), maxConnections: Number(row?.max_connections), reserved: Number(row?.reserved), poolSum: ctx.system.services.reduce((n, s) => n + s.poolSize, 0) };
  },
  judge(f) {
    const usable = f.maxConnections - f.reserved;
    const limit = Math.floor(usable * HEADROOM_RATIO);
    const found = `${f.inUse} of ${usable} usable connections in use (max_connections ${f.maxConnections} - ${f.reserved} reserved); service pools total ${f.poolSum}; alert line ${limit}`;
    if (f.inUse >= limit) return { status: 'fail', found, fix: 'find who holds connections (SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3), put PgBouncer in front, or raise max_connections' };
    if (f.poolSum > limit) return { status: 'fail', found, fix: `shrink the service pools (sum ${f.poolSum}) to at most ${limit}, put PgBouncer in front, or raise max_connections` };
    return { status: 'pass', found };
  },
});
