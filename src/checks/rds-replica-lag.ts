import type { DBInstance } from '@aws-sdk/client-rds';
import { CheckSkipped, defineCheck, listSome } from './check.ts';
import { showMs } from './guc.ts';
import { REPLICATION_LAG_MS } from './replication-lag.ts';
import { rdsFacts, readable } from './rds-facts.ts';

/** One replica's replication as RDS reports it (StatusInfos "read replication"), and its lag measured over SQL (null: not measured). */
export interface RdsReplicaState {
  id: string;
  status: string;
  normal: boolean;
  lagMs: number | null;
}

/** Which side the instance is on, and each replica's state. */
export interface RdsReplicaFacts {
  role: 'replica' | 'primary';
  replicas: RdsReplicaState[];
  /** Why the lag was not measured (no --url). */
  lagUnknownReason: string | null;
}

function replication(i: DBInstance): { status: string; normal: boolean } {
  const info = i.StatusInfos?.find((s) => s.StatusType === 'read replication');
  return { status: info?.Status ?? 'unknown', normal: info?.Normal ?? false };
}

/**
 * `rds-replica-lag`: each read replica replicates and is under 1 s behind.
 * The RDS API reports a replica's replication status but not its lag (lag is
 * the CloudWatch metric ReplicaLag, which pgdrill does not read): the lag is
 * measured over SQL when --url connects to the same instance (on a replica:
 * now() - pg_last_xact_replay_timestamp() while WAL is still to replay; on a
 * primary: the largest replay_lag of pg_stat_replication, which needs
 * pg_monitor to see), and is otherwise a warning saying why it is unknown.
 */
export const rdsReplicaLagCheck = defineCheck<RdsReplicaFacts>({
  id: 'rds-replica-lag',
  group: 'monitoring',
  title: 'RDS read replica lag',
  seedSection: '9. Monitoring: Key Metrics (Replication Lag > 1s)',
  expected: `every read replica replicating, lag under ${showMs(REPLICATION_LAG_MS)}`,
  async read(ctx) {
    const f = rdsFacts(ctx);
    const source = f.instance.ReadReplicaSourceDBInstanceIdentifier;
    const replicas = source ? [f.instance] : readable(f.replicas);
    if (replicas.length === 0) throw new CheckSkipped('not a read replica and has none');
    let lagMs: number | null = null;
    let lagUnknownReason: string | null = 'lag is the CloudWatch metric ReplicaLag, which the RDS API does not return: give --url (this instance) to measure it over SQL';
    try {
      if (source) {
        const [row] = await ctx.query(null, "SELECT pg_is_in_recovery() AS standby, CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000 END::float8 AS lag_ms");
        if (row?.standby !== true) lagUnknownReason = 'the --url server is not in recovery: it is not this replica';
        else if (row.lag_ms === null) lagUnknownReason = 'the replica has replayed nothing yet';
        else [lagMs, lagUnknownReason] = [Number(row.lag_ms), null];
      } else {
        const [row] = await ctx.query(null, 'SELECT count(state)::int AS seen, coalesce(max(extract(epoch FROM replay_lag) * 1000), 0)::float8 AS lag_ms FROM pg_stat_replication');
        // Without pg_monitor a role sees the rows but not their state or lag; idle standbys report no lag (caught up).
        if (!row || Number(row.seen) === 0) lagUnknownReason = `pg_stat_replication shows ${ctx.session.user} no streaming standby (it needs pg_monitor to see them)`;
        else [lagMs, lagUnknownReason] = [Number(row.lag_ms), null];
      }
    } catch (error) {
      if (!(error instanceof CheckSkipped)) lagUnknownReason = `measuring the lag over SQL failed: ${(error as Error).message}`;
    }
    return {
      role: source ? 'replica' : 'primary',
      replicas: replicas.map((r) => ({ id: r.DBInstanceIdentifier ?? '?', ...replication(r), lagMs })),
      lagUnknownReason,
    };
  },
  judge(f) {
    const show = (r: RdsReplicaState) => `${r.id} ${r.status}${r.lagMs === null ? '' : `, lag ${showMs(r.lagMs)}`}`;
    const broken = f.replicas.filter((r) => !r.normal || r.status !== 'replicating');
    if (broken.length) return { status: 'fail', found: listSome(broken.map(show)), fix: 'check the replica\'s events (aws rds describe-events --source-identifier <replica>); a replica in error must be recreated' };
    const slow = f.replicas.filter((r) => (r.lagMs ?? 0) > REPLICATION_LAG_MS);
    if (slow.length) return { status: 'fail', found: listSome(slow.map(show)), fix: 'size the replica like its primary and look for long queries on it (max_standby_streaming_delay)' };
    if (f.lagUnknownReason) return { status: 'warn', found: `${listSome(f.replicas.map(show))}; lag unknown: ${f.lagUnknownReason}`, fix: 'alarm on the CloudWatch metric ReplicaLag > 1 s, or run check with --url for this instance' };
    return { status: 'pass', found: listSome(f.replicas.map(show)) };
  },
});
