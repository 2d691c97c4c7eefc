import { removeScratchClusters } from '../restore/pitr.ts';
import type { Fault } from './fault.ts';

/**
 * No fault at all, for routine exercises that rehearse a procedure rather
 * than a disaster (the seed's weekly restore test): `inject` breaks
 * nothing and returns `reason` as its evidence, so the drill is judged on
 * its runbook (a failed step breaches it) and on the service staying up.
 * `revert` removes scratch clusters a runbook left behind.
 */
export function noFault(reason = 'weekly restore test (no fault)'): Fault {
  return {
    name: 'none',
    description: `nothing is broken: ${reason}`,
    async inject() {
      return { detail: reason };
    },
    async revert(ctx) {
      if (ctx.lab) await removeScratchClusters(ctx.lab);
    },
  };
}
