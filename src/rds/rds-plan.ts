import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { UserError } from '../core/errors.ts';
import type { Runbook } from '../core/runbook.ts';
import { describeInstance, instanceTags, restorableWindow } from './describe-instance.ts';
import { openRdsClient, waiterTiming } from './rds-client.ts';
import { RdsTarget } from './rds-target.ts';
import { rdsCall } from './aws-errors.ts';
import { pointInTimeRestoreParams, restoredInstanceId, snapshotRestoreParams, type RestorePoint } from './restore-plan.ts';
import type { RdsStepDeps } from './restore-steps.ts';
import { rdsAccidentalDeletion } from './runbooks/accidental-deletion.ts';
import { rdsDatabaseLost } from './runbooks/database-lost.ts';
import { rdsPrimaryFailover } from './runbooks/primary-failover.ts';

/** The runbooks that act on an RDS instance through the API, by the id `pgdrill guide` is given. */
export const RDS_RUNBOOK_IDS = ['database-lost', 'accidental-deletion', 'primary-failover'] as const;

/** How to open an RDS target for a guided session. */
export interface RdsGuideOptions {
  instanceId: string;
  runbookId: string;
  region?: string;
  /** The instance's connection URL (user, password, database), for the SQL steps. */
  url?: string;
  toTime?: Date;
  now?: Date;
  env?: NodeJS.ProcessEnv;
}

/**
 * Opens an RDS instance as a guide target, read-only (DescribeDBInstances,
 * ListTagsForResource, DescribeDBInstanceAutomatedBackups, and
 * DescribeDBSnapshots when there is no point-in-time window), and builds the
 * RDS variant of the runbook with its exact calls. An id with no RDS
 * variant, or `--to-time` where it means nothing, is a `UserError`.
 * `close` releases the SDK client.
 */
export async function openRdsGuide(options: RdsGuideOptions): Promise<{ target: RdsTarget; runbook: Runbook; close: () => void }> {
  if (!(RDS_RUNBOOK_IDS as readonly string[]).includes(options.runbookId)) {
    throw new UserError(`The runbook ${options.runbookId} has no RDS variant: on RDS its steps would act on files and processes pgdrill cannot reach.`, `On --target rds:<id> use one of: ${RDS_RUNBOOK_IDS.join(', ')}.`);
  }
  if (options.toTime && options.runbookId !== 'accidental-deletion') throw new UserError(`--to-time applies to accidental-deletion, not ${options.runbookId}.`, 'database-lost restores to the latest restorable time; leave --to-time out.');
  if (options.runbookId === 'accidental-deletion' && !options.toTime) throw new UserError('accidental-deletion on RDS needs --to-time: the moment just before the damage.', 'Add --to-time 2026-03-05T03:11:00Z (ISO 8601 with its zone).');
  const client = openRdsClient({ ...(options.region ? { region: options.region } : {}), ...(options.env ? { env: options.env } : {}) });
  try {
    const instance = await describeInstance(client, options.instanceId);
    const tags = await instanceTags(client, instance);
    const target = new RdsTarget(client, instance, tags, options.url, options.region);
    const deps: RdsStepDeps = { target, timing: waiterTiming(options.env) };
    let runbook: Runbook;
    if (options.runbookId === 'primary-failover') runbook = rdsPrimaryFailover(deps);
    else {
      // The restore is fixed now, so that every step and --dry-run show the exact call.
      const window = await restorableWindow(client, options.instanceId);
      const copy = restoredInstanceId(options.instanceId, options.now ?? new Date());
      const point: RestorePoint = options.toTime ? { kind: 'time', time: options.toTime } : { kind: 'latest' };
      if (options.runbookId === 'accidental-deletion') runbook = rdsAccidentalDeletion(deps, pointInTimeRestoreParams(instance, window, point, copy));
      else if (window) runbook = rdsDatabaseLost(deps, { call: 'RestoreDBInstanceToPointInTime', params: pointInTimeRestoreParams(instance, window, point, copy) });
      else {
        const snapshots = await rdsCall('DescribeDBSnapshots', options.instanceId, () => client.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: options.instanceId })));
        runbook = rdsDatabaseLost(deps, { call: 'RestoreDBInstanceFromDBSnapshot', params: snapshotRestoreParams(instance, snapshots.DBSnapshots ?? [], copy) });
      }
    }
    return { target, runbook, close: () => client.destroy() };
  } catch (error) {
    client.destroy();
    throw error;
  }
}
