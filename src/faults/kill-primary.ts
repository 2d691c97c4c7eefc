import type { Fault, FaultContext } from './fault.ts';

/**
 * The primary fails: the lab's postmaster is killed with SIGKILL under
 * load (no shutdown checkpoint, no last WAL sent), its data directory left
 * as it was; the streaming replica keeps running. Evidence: the killed pid
 * and how far the replica had replayed. `revert` leaves the lab whole
 * whatever the runbook did: a promoted replica becomes the lab's primary
 * (the dead primary's data directory is removed: in production it would be
 * rebuilt as a replica), otherwise the old primary is started again (crash
 * recovery); the service path points at the lab's primary again (through
 * PgBouncer when it is in the path), and a
 * synchronous-commit setting made for the drill is dropped.
 */
export function killPrimary(): Fault {
  return {
    name: 'kill-primary',
    description: 'kill -9 the primary PostgreSQL postmaster; the streaming replica keeps running',
    async inject(ctx) {
      if (!(await ctx.target.isRunning())) throw new Error('the lab has no running primary to kill');
      const standby = ctx.drillLab.replicaCluster;
      let replica = 'no replica';
      if (standby) {
        const replayed = await standby
          .query('postgres', 'SELECT pg_last_wal_replay_lsn()::text AS lsn')
          .then(([row]) => String(row?.lsn ?? '?'))
          .catch(() => '?');
        replica = `replica on ${standby.endpoint.host}:${standby.endpoint.port} had replayed up to ${replayed}`;
      }
      const killed = await ctx.target.kill();
      return { detail: `primary ${killed}; ${replica}` };
    },
    async revert(ctx) {
      await restoreLabTopology(ctx);
    },
  };
}

/** Puts the lab back into a consistent shape after a failover drill (see `killPrimary`). Idempotent. */
export async function restoreLabTopology(ctx: FaultContext): Promise<void> {
  await ctx.drillLab.restoreTopology(ctx.log);
  // With PgBouncer in the path the proxy leads to it, and PgBouncer leads to the lab's primary.
  if (ctx.pooler) {
    const up = ctx.pooler.upstream;
    const primary = ctx.target.endpoint;
    if (up.host !== primary.host || up.port !== primary.port) await ctx.pooler.setUpstream(primary);
  }
  const first = ctx.pooler ? ctx.pooler.endpoint : ctx.drillLab.proxyUpstream;
  if (ctx.link.upstream !== `${first.host}:${first.port}`) await ctx.link.setUpstream(first);
}
