import { existsSync } from 'node:fs';
import path from 'node:path';
import { embeddedLab, type Fault, type FaultContext } from './fault.ts';

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
      const lab = embeddedLab(ctx, 'The kill-primary fault');
      if (!(await lab.isRunning())) throw new Error('the lab has no running primary to kill');
      let replica = 'no replica';
      if (lab.replica) {
        const replayed = await lab
          .replicaQuery('postgres', 'SELECT pg_last_wal_replay_lsn()::text AS lsn')
          .then(([row]) => String(row?.lsn ?? '?'))
          .catch(() => '?');
        replica = `replica on port ${lab.replica.port} had replayed up to ${replayed}`;
      }
      const killed = await lab.kill();
      return { detail: `primary ${killed}; ${replica}` };
    },
    async revert(ctx) {
      await restoreLabTopology(ctx);
    },
  };
}

/** Puts the lab back into a consistent shape after a failover drill (see `killPrimary`). Idempotent. */
export async function restoreLabTopology(ctx: FaultContext): Promise<void> {
  const lab = embeddedLab(ctx, 'Restoring the lab after a failover');
  const replica = lab.replica;
  if (!(await lab.isRunning())) {
    const promoted = replica && !existsSync(path.join(replica.dataDir, 'standby.signal')) && (await lab.isReplicaRunning());
    if (promoted) {
      ctx.log('The promoted replica becomes the lab primary (the dead primary\'s data directory is removed).');
      await lab.adoptPromotedReplica({ keepOld: false });
    } else {
      ctx.log('The replica was not promoted: starting the old primary again (crash recovery).');
      await lab.ensurePrimaryRunning();
    }
  } else {
    // The drill may have made commits wait for the replica: never leave the lab depending on it.
    await lab.setSynchronousReplica(false);
  }
  // With PgBouncer in the path the proxy leads to it, and PgBouncer leads to the lab's primary.
  if (ctx.pooler) {
    const up = ctx.pooler.upstream;
    if (up.host !== lab.endpoint.host || up.port !== lab.endpoint.port) await ctx.pooler.setUpstream(lab.endpoint);
  }
  const first = ctx.pooler ? ctx.pooler.endpoint : lab.endpoint;
  if (ctx.link.upstream !== `${first.host}:${first.port}`) await ctx.link.setUpstream(first);
}
