import { defineRunbook, type Runbook } from '../../core/runbook.ts';
import { describeSourceStep, restoredIdOf, restoreStep, switchUrlStep, verifySqlStep, waitStep, type RdsStepDeps, type RestoreRequest } from '../restore-steps.ts';

/** Typical duration of a point-in-time restore, shown while waiting. */
export const RESTORE_TYPICAL = '10-30 min, longer for hundreds of GB';

/**
 * "Entire database lost" on RDS: describe the instance and its window,
 * restore it to its latest restorable time (or, without a window, from its
 * newest snapshot) into a new instance (the source's network and
 * parameters), wait for it with the SDK waiter, verify
 * it over SQL, and show the DATABASE_URL change.
 */
export function rdsDatabaseLost(deps: RdsStepDeps, restore: RestoreRequest): Runbook {
  const id = restoredIdOf(restore);
  return defineRunbook({
    id: 'database-lost',
    title: `The whole database is lost (RDS ${deps.target.name})`,
    summary: `Use when ${deps.target.name} or its data is gone or unusable. RDS restores into a new instance from the automated backups and WAL, up to the latest restorable time (at most about 5 minutes behind; without automated backups, from the newest snapshot); writes after that point are lost. The old instance is left as it is.`,
    steps: [describeSourceStep(deps), restoreStep(deps, restore), waitStep(deps, id, RESTORE_TYPICAL), verifySqlStep(deps, id), switchUrlStep(deps, id)],
  });
}
