import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunbookStep, StepContext } from '../core/runbook.ts';
import type { Lab } from '../lab/lab.ts';
import { ScratchCluster, type ScratchClusterRecord } from '../lab/scratch-cluster.ts';
import { resolveServerUser } from '../lab/server-user.ts';
import { requireLab } from '../restore/guard.ts';
import { archiveCurrentWal, describeTarget, restoreSideCluster } from '../restore/pitr.ts';
import type { RunbookState } from './runbook-state.ts';

/**
 * The side cluster an earlier step restored, taken up from its record in
 * the session memory: the same process's, or one left running by a session
 * that was quit or killed (started again from its directory if it
 * stopped). Throws a `UserError` naming the step to run again when there is
 * none or its directory is gone.
 */
export async function rememberedSideCluster(ctx: StepContext, lab: Lab, record: ScratchClusterRecord | undefined, options: { start?: boolean } = {}): Promise<ScratchCluster> {
  if (!record) throw new Error('no side cluster (step restore-side-cluster)');
  return ScratchCluster.attach(record, { binaries: lab.pg(), user: resolveServerUser(), log: (line) => ctx.output(line), start: options.start });
}

/** Stops and removes a remembered side cluster if its directory is still there (a step run again replaces it; the last step removes it). */
export async function discardSideCluster(ctx: StepContext, lab: Lab, record: ScratchClusterRecord | undefined): Promise<void> {
  if (record && existsSync(path.join(record.root, record.name))) await (await rememberedSideCluster(ctx, lab, record, { start: false })).destroy();
}

/**
 * The last step of a recovery through a side cluster: stop it and remove its
 * files, then forget the runbook's session state. `what` names what was
 * copied back ("the table", "the rows").
 */
export function removeSideClusterStep(state: RunbookState<{ side: ScratchClusterRecord }>, what: string): RunbookStep {
  return {
    id: 'remove-side-cluster',
    title: 'Stop and remove the side cluster',
    why: `It holds a copy of production data and a port; once ${what} is back it has served its purpose.`,
    expect: 'The side cluster stopped and its directory removed.',
    command: { kind: 'action', text: 'pg_ctl stop -D <side data directory>; rm -rf <side directory>' },
    destructive: { touches: 'the side cluster (not the live database)' },
    timeoutMs: 60_000,
    async run(ctx) {
      const lab = requireLab(ctx, 'remove the side cluster');
      const { side } = state.of(ctx);
      // Already gone is what this step wants.
      await discardSideCluster(ctx, lab, side);
      ctx.output('side cluster removed');
      state.reset(ctx);
    },
  };
}

/**
 * The first step of a point-in-time recovery from the lab's archive: close
 * the current WAL segment and wait until it is archived. `why` says what the
 * recovery needs from it; `before` runs first (a runbook resets its session
 * state there: a new recovery starts).
 */
export function archiveWalStep(why: string, before?: (ctx: StepContext) => void): RunbookStep {
  return {
    id: 'archive-wal',
    title: 'Close and archive the current WAL segment',
    why,
    expect: 'A segment name, and that segment present in the WAL archive.',
    command: { kind: 'action', text: 'SELECT pg_walfile_name(pg_switch_wal()), then wait until that segment is in the WAL archive (pg_stat_archiver.last_archived_wal)' },
    timeoutMs: 45_000,
    async run(ctx) {
      const lab = requireLab(ctx, 'archive WAL');
      before?.(ctx);
      ctx.output(`archived ${await archiveCurrentWal(lab)}`);
    },
  };
}

/**
 * Restores a side cluster to just before transaction `xid` (the one that
 * did the damage), replacing the side cluster `previous` records when a
 * step runs again, and says where recovery stopped. `targetLsn` (the
 * transaction's commit LSN, when known) picks the base backup that ended
 * before it; without it, the newest.
 */
export async function restoreSideClusterBefore(ctx: StepContext, lab: Lab, previous: ScratchClusterRecord | undefined, xid: string, targetLsn?: string): Promise<ScratchCluster> {
  const target = { kind: 'xid' as const, xid, inclusive: false };
  await discardSideCluster(ctx, lab, previous);
  const { cluster } = await restoreSideCluster(lab, target, { targetLsn, log: (l) => ctx.output(l) });
  const r = cluster.report;
  ctx.output(`side cluster on port ${cluster.port}: ${describeTarget(target)}; ${r?.stopLine ?? ''}; restore took ${((r?.totalMs ?? 0) / 1000).toFixed(1)} s`);
  return cluster;
}
