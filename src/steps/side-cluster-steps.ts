import type { RunbookStep } from '../core/runbook.ts';
import type { SideCluster } from '../restore/pitr.ts';
import type { RunbookState } from './runbook-state.ts';

/**
 * The last step of a recovery through a side cluster: stop it and remove its
 * files, then forget the runbook's session state. `what` names what was
 * copied back ("the table", "the rows").
 */
export function removeSideClusterStep(state: RunbookState<{ side: SideCluster }>, what: string): RunbookStep {
  return {
    id: 'remove-side-cluster',
    title: 'Stop and remove the side cluster',
    why: `It holds a copy of production data and a port; once ${what} is back it has served its purpose.`,
    expect: 'The side cluster stopped and its directory removed.',
    command: { kind: 'action', text: 'pg_ctl stop -D <side data directory>; rm -rf <side directory>' },
    destructive: { touches: 'the side cluster (not the live database)' },
    timeoutMs: 60_000,
    async run(ctx) {
      const s = state.of(ctx);
      if (s.side) await s.side.cluster.destroy();
      ctx.output('side cluster removed');
      state.reset(ctx);
    },
  };
}
