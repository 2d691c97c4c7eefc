import { defineRunbook, type Runbook } from '../../core/runbook.ts';
import type { RestoreDBInstanceToPointInTimeCommandInput } from '@aws-sdk/client-rds';
import { describeSourceStep, restoreStep, switchUrlStep, verifySqlStep, waitStep, type RdsStepDeps } from '../restore-steps.ts';
import { RESTORE_TYPICAL } from './database-lost.ts';

/**
 * "Data deleted by mistake" on RDS: restore the instance to just before
 * the damage (`--to-time`) into a new instance beside the live one, wait,
 * verify it over SQL, then copy the lost rows back (by hand: only a person
 * knows which rows are right), or switch over to it.
 */
export function rdsAccidentalDeletion(deps: RdsStepDeps, params: RestoreDBInstanceToPointInTimeCommandInput): Runbook {
  const id = params.TargetDBInstanceIdentifier ?? '?';
  const when = params.RestoreTime?.toISOString() ?? 'the time given with --to-time';
  return defineRunbook({
    id: 'accidental-deletion',
    title: `Data deleted by mistake (RDS ${deps.target.name}, back to ${when})`,
    summary: `Use when rows or a table of ${deps.target.name} were deleted or overwritten by mistake. RDS restores a copy of the instance as it was at ${when} into a new instance; the live instance keeps running. Copy the lost data back from the copy, then delete it.`,
    steps: [
      describeSourceStep(deps),
      restoreStep(deps, { call: 'RestoreDBInstanceToPointInTime', params }),
      waitStep(deps, id, RESTORE_TYPICAL),
      verifySqlStep(deps, id),
      {
        id: 'copy-rows-back',
        title: `Copy the lost data from ${id} back into ${deps.target.name}`,
        why: 'The live instance has every write since the mistake; the copy has what was lost. Moving only the lost rows back keeps both.',
        expect: 'The lost rows present again in the live instance; its newer writes kept.',
        manual: `pg_dump --data-only --table=<table> "<DATABASE_URL with the host of ${id}>" > lost.sql, review it, then load it into ${deps.target.name} inside a transaction (psql --single-transaction -f lost.sql), resolving key conflicts. Delete ${id} afterwards (aws rds delete-db-instance --db-instance-identifier ${id} --skip-final-snapshot): it is billed until then.`,
      },
      { ...switchUrlStep(deps, id), title: `Or, if the live data cannot be saved, point the services at ${id}` },
    ],
  });
}
