import { CheckSkipped, defineCheck, listSome } from './check.ts';
import { showMs } from './guc.ts';

/** The seed's alert: replication lag above 1 s. */
export const REPLICATION_LAG_MS = 1000;

/** Each standby streaming from this server, with its replay lag (ms; null when idle: nothing to replay). */
export type ReplicationFacts = Array<{ name: string; state: string; replayLagMs: number | null }>;

/** `replication-lag`: every streaming standby replays within 1 s. */
export const replicationLagCheck = defineCheck<ReplicationFacts>({
  id: 'replication-lag',
  group: 'monitoring',
  title: 'Replication lag',
  seedSection: '9. Monitoring: Key Metrics (Replication Lag > 1s)',
  expected: `every standby streaming, replay lag under ${showMs(REPLICATION_LAG_MS)}`,
  async read(ctx) {
    if (!ctx.session.readAllStats) throw new CheckSkipped(`${ctx.session.user} cannot read pg_stat_replication's lag columns (grant it pg_monitor)`);
    const rows = await ctx.query(null, "SELECT coalesce(application_name, client_addr::text, pid::text) AS name, state, (extract(epoch FROM replay_lag) * 1000)::float8 AS replay_lag_ms FROM pg_stat_replication ORDER BY 1");
    if (rows.length === 0) throw new CheckSkipped('no standby streams from this server (no replica configured)');
    return rows.map((r) => ({ name: String(r.name), state: String(r.state), replayLagMs: r.replay_lag_ms === null ? null : Number(r.replay_lag_ms) }));
  },
  judge(standbys) {
    const show = (s: ReplicationFacts[number]) => `${s.name} ${s.state}, replay lag ${s.replayLagMs === null ? '0 (idle)' : showMs(s.replayLagMs)}`;
    const bad = standbys.filter((s) => s.state !== 'streaming' || (s.replayLagMs ?? 0) > REPLICATION_LAG_MS);
    if (bad.length) return { status: 'fail', found: listSome(bad.map(show)), fix: "check the standby's resources and network, and its log; SELECT * FROM pg_stat_replication on the primary" };
    return { status: 'pass', found: listSome(standbys.map(show)) };
  },
});
