import pg from 'pg';
import { defineRunbook, StepUnavailableError, type StepContext } from '../src/core/runbook.ts';
import type { StandbyCluster } from '../src/lab/cluster.ts';
import { requireLabTarget } from '../src/restore/guard.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { repointServicePath } from '../src/steps/pooler-steps.ts';

/** The lab's replica (embedded or a container), or a clear "not here" for a session that has none. */
function replicaOf(ctx: StepContext): StandbyCluster {
  if (ctx.replica) return ctx.replica;
  if (!ctx.lab) throw new StepUnavailableError('lab', 'this step needs the lab\'s replica; follow the manual instructions against your standby');
  throw new Error('the lab has no replica to fail over to (`pgdrill lab up --replica` makes one)');
}

/** Runs one query on the replica as the superuser (directly, never through the fault proxy). */
async function onReplica(replica: StandbyCluster, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: replica.adminUrl('postgres'), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return ((await client.query(sql)).rows[0] ?? {}) as Record<string, unknown>;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Recovery runbook for the seed's "Primary failure with replica": make
 * sure the primary is really gone, read how far the replica got, promote
 * it, point the service's path at it and check the service.
 */
export default defineRunbook({
  id: 'primary-failover',
  title: 'Fail over to the streaming replica',
  summary:
    'Use when the primary server is down (crashed, host lost) and a streaming replica is healthy. Promote the replica and point the service at it. Never do this while the old primary can still accept writes: two primaries diverge and one side\'s writes are lost. Writes the replica had not received when the primary died are lost (none with synchronous replication).',
  steps: [
    {
      id: 'confirm-primary-down',
      title: 'Confirm that the primary is down',
      why: 'Promotion is a one-way decision. If the primary is only unreachable from here (a network fault), promoting creates a second primary and the writes made on one of them are lost when they are reconciled.',
      expect: 'pg_isready reports no response from the primary.',
      command: {
        kind: 'shell',
        text: 'if pg_isready -h "$PGHOST" -p "$PGPORT" -t 3; then echo "the primary accepts connections: it is not down, do not promote the replica (see the connection-loss runbook)" >&2; exit 1; fi; echo "primary $PGHOST:$PGPORT: down"',
      },
      timeoutMs: 20_000,
    },
    {
      id: 'check-replica',
      title: 'Check how far the replica has received and replayed',
      why: 'What the replica has received is what survives the failover; the rest of the primary\'s WAL is lost with it. The replica must be a standby that has applied everything it received, so the promotion does not wait on a backlog.',
      expect: 'pg_is_in_recovery() is true; the replayed position equals the received one; the last replayed transaction is seconds old at most.',
      command: { kind: 'action', text: 'On the replica: SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp(); until nothing received is left to apply' },
      manual: 'On the standby: SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), now() - pg_last_xact_replay_timestamp(); (RDS: the ReplicaLag metric).',
      timeoutMs: 30_000,
      verifyIntervalMs: 100,
      async verify(ctx) {
        const replica = replicaOf(ctx);
        const r = await onReplica(
          replica,
          "SELECT pg_is_in_recovery() AS standby, pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed, coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint AS backlog, to_char(pg_last_xact_replay_timestamp(), 'YYYY-MM-DD HH24:MI:SS.MS TZ') AS last_xact",
        );
        const detail = `replica ${replica.endpoint.host}:${replica.endpoint.port}: ${r.standby ? 'standby' : 'NOT in recovery'}, received ${String(r.received)}, replayed ${String(r.replayed)} (${String(r.backlog)} bytes to apply), last replayed transaction ${String(r.last_xact ?? 'none')}`;
        ctx.output(detail);
        return { ok: r.standby === true && Number(r.backlog) === 0, detail };
      },
    },
    {
      id: 'promote-replica',
      title: 'Promote the replica',
      why: 'Promotion ends recovery: the replica stops following the dead primary, starts a new timeline and accepts writes. The old primary must never come back as a primary; it is rebuilt as a replica of the new one.',
      expect: 'pg_promote() returns true and pg_is_in_recovery() turns false.',
      command: { kind: 'action', text: 'On the replica: SELECT pg_promote(wait => true, wait_seconds => 60)' },
      manual: 'On the standby: SELECT pg_promote(); or pg_ctl promote -D <its data directory> (RDS: promote-read-replica, or a Multi-AZ reboot with failover).',
      destructive: { touches: 'the replica (it becomes the primary; the old primary must stay down)' },
      timeoutMs: 90_000,
      async run(ctx) {
        const replica = replicaOf(ctx);
        requireLabTarget(ctx, 'promote the replica');
        const r = await onReplica(replica, 'SELECT pg_promote(true, 60) AS promoted');
        if (r.promoted !== true) throw new Error('pg_promote() did not finish within 60 s (read the replica log)');
      },
      async verify(ctx) {
        const replica = replicaOf(ctx);
        const r = await onReplica(replica, "SELECT pg_is_in_recovery() AS standby, substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli, pg_current_wal_lsn()::text AS lsn");
        const timeline = r.standby === false ? parseInt(String(r.tli), 16) : null;
        return { ok: r.standby === false, detail: r.standby === false ? `promoted: writable on timeline ${timeline}, at ${String(r.lsn)}` : 'still in recovery' };
      },
    },
    {
      id: 'repoint-service',
      title: 'Point the service path at the promoted replica',
      why: 'The service reaches the database through a stable address (a proxy, PgBouncer, a DNS name, DATABASE_URL). It must now lead to the new primary; open connections to the dead one are dropped. With PgBouncer in the path the services keep their address (the pooler) and PgBouncer is repointed: RELOAD makes it open its new server connections to the promoted replica.',
      expect: "The service path's upstream (PgBouncer's [databases] host and port, or the proxy's) is the promoted replica's address.",
      command: { kind: 'action', text: 'with PgBouncer: set host/port of each database in pgbouncer.ini to the promoted replica, then RELOAD on its admin console; without: update the proxy upstream (or DATABASE_URL / the DNS name)' },
      manual: 'With PgBouncer: edit its [databases] host/port (or the DNS name it resolves) to the promoted instance and run RELOAD on its admin console (PAUSE before and RESUME after to hold clients instead of failing them). Without: update the DNS name or DATABASE_URL and restart the service instances if their pools do not reconnect.',
      timeoutMs: 30_000,
      async run(ctx) {
        const replica = replicaOf(ctx);
        if (!(await repointServicePath(ctx, replica.proxyUpstream))) throw new StepUnavailableError('link', 'no service path to repoint in this session: follow the manual instructions');
      },
    },
    verifyServiceStep('GET /health answers 200 within a second, from the promoted replica.'),
  ],
});
