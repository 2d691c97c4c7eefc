import { DeleteDBInstanceCommand, DescribeDBInstancesCommand, RestoreDBInstanceToPointInTimeCommand } from '@aws-sdk/client-rds';
import { UserError } from '../core/errors.ts';
import type { DrillResult, StepResult } from '../core/result.ts';
import type { Objectives } from '../core/scenario.ts';
import { measuredFields } from '../engine/drill.ts';
import { DrillClock } from '../measure/clock.ts';
import { CleanupStack } from '../util/cleanup.ts';
import { redact } from '../util/redact.ts';
import { rdsCall } from './aws-errors.ts';
import { drillFailure } from './drill-error.ts';
import { describeInstance, instanceTags, restorableWindow } from './describe-instance.ts';
import { openRdsClient, waiterTiming } from './rds-client.ts';
import { RdsTarget } from './rds-target.ts';
import { pointInTimeRestoreParams, restoredInstanceId } from './restore-plan.ts';
import { checkOverSql } from './restore-steps.ts';
import { waitAvailable } from './wait-available.ts';

/** The seed's objectives for "entire database lost": RTO 30 min, RPO hours (here 1 h). */
export const RDS_RESTORE_OBJECTIVES: Objectives = { rtoMs: 30 * 60_000, rpoMs: 3_600_000 };

/** How to time a point-in-time restore of an RDS instance. */
export interface RdsRestoreDrillOptions {
  instanceId: string;
  region?: string;
  /** The instance's DATABASE_URL: its user and password verify the restored copy over SQL (secret). Without it, the copy is not verified over SQL (said in the result). */
  databaseUrl?: string;
  allowDestructive: boolean;
  /** Keep the restored instance (it stays billed). */
  keep: boolean;
  objectives?: Partial<Objectives>;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/**
 * `drill database-lost --target rds:<id>`: a point-in-time restore timed
 * for RTO. Before creating anything it says what will be created and that
 * it is billed; then RestoreDBInstanceToPointInTime to the latest
 * restorable time into `<id>-restored-<time>` (tagged
 * `pgdrill:drill=allowed`, no deletion protection, single-AZ), the SDK
 * waiter, verification over SQL. RTO is from the call to the copy
 * verified; RPO is how far the restore point lay behind the moment of the
 * call (what a real loss at that moment would lose). The copy is deleted
 * (DeleteDBInstance, no final snapshot) unless `keep`, also on failure and
 * on SIGINT/SIGTERM. Refusals are `UserError`s thrown before anything is
 * created.
 */
export async function runRdsRestoreDrill(options: RdsRestoreDrillOptions): Promise<DrillResult> {
  const log = (line: string) => options.log?.(redact(line));
  const objectives: Objectives = { ...RDS_RESTORE_OBJECTIVES, ...options.objectives };
  const clock = new DrillClock();
  const cleanup = new CleanupStack();
  const client = openRdsClient({ ...(options.region ? { region: options.region } : {}), ...(options.env ? { env: options.env } : {}) });
  cleanup.defer('release the RDS client', async () => client.destroy());
  const steps: StepResult[] = [];
  const reasons: string[] = [];
  const notes: string[] = [];
  let rtoMs: number | null = null;
  let rpoMs: number | null = null;
  let t0: number | null = null;
  let harnessError: string | undefined;
  let cleanupFailures: string[] = [];
  const step = (id: string, title: string, started: number, detail: string) => steps.push({ id, title, status: 'done', durationMs: Math.round(clock.now() - started), startedAtMs: Math.round(started), detail });
  try {
    const source = await describeInstance(client, options.instanceId);
    const target = new RdsTarget(client, source, await instanceTags(client, source), options.databaseUrl, options.region);
    if (!target.drillAllowed && !options.allowDestructive) throw new UserError(`The RDS instance ${target.name} is not tagged pgdrill:drill=allowed: pgdrill restores a copy of it for a drill only with --allow-destructive.`, 'Drill a staging instance: tag it pgdrill:drill=allowed, or pass --allow-destructive.');
    const window = await restorableWindow(client, target.name);
    const copy = restoredInstanceId(target.name, options.now ?? new Date());
    const params = pointInTimeRestoreParams(source, window, { kind: 'latest' }, copy, { forDrill: true });
    log(`Cost: this drill creates the RDS instance ${copy} (${params.DBInstanceClass ?? 'the source\'s class'}, ${source.AllocatedStorage ?? '?'} GB ${source.StorageType ?? ''}), billed from its creation until it is deleted; pgdrill deletes it at the end${options.keep ? ' unless --keep: with --keep it stays, and stays billed' : ''}.`);
    if (!options.keep) {
      cleanup.defer(`delete the drill's copy ${copy}`, async () => {
        // Only "not found" means there is nothing to delete (the restore was never accepted); any other answer, try.
        const exists = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: copy })).then(() => true, (e: { name?: string }) => !e?.name?.startsWith('DBInstanceNotFound'));
        if (!exists) return;
        const out = await rdsCall('DeleteDBInstance', copy, () => client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: copy, SkipFinalSnapshot: true, DeleteAutomatedBackups: true })));
        log(`Deleted ${copy} (DeleteDBInstance, request id ${out.$metadata.requestId ?? 'none'}; it stops being billed once RDS finishes deleting it).`);
      });
    }
    await cleanup.scope(async () => {
      t0 = clock.now();
      const latest = window?.latest;
      log(`RDS RestoreDBInstanceToPointInTime ${JSON.stringify(params)}`);
      const out = await rdsCall('RestoreDBInstanceToPointInTime', target.name, () => client.send(new RestoreDBInstanceToPointInTimeCommand(params)));
      rpoMs = latest ? Math.max(0, Date.now() - latest.getTime()) : null;
      step('restore-to-point-in-time', `RestoreDBInstanceToPointInTime into ${copy}`, t0, `request id ${out.$metadata.requestId ?? 'none'}; restore point ${latest?.toISOString() ?? 'unknown'}`);
      const waitFrom = clock.now();
      const available = await waitAvailable(client, copy, waiterTiming(options.env), (p) => log(`${copy}: ${p.status}, ${Math.round(p.elapsedMs / 1000)} s`), cleanup.signal);
      step('wait-available', `Wait until ${copy} is available`, waitFrom, `available at ${available.Endpoint?.Address ?? '?'}:${available.Endpoint?.Port ?? ''}`);
      const endpoint = { host: available.Endpoint?.Address ?? '', port: available.Endpoint?.Port ?? 5432 };
      const url = target.urlFor(endpoint);
      const verifyFrom = clock.now();
      if (url) step('verify-over-sql', `Verify ${copy} over SQL`, verifyFrom, await checkOverSql(url, copy, endpoint));
      else notes.push(`${copy} was not verified over SQL (no --url): the RTO ends at "available".`);
      rtoMs = Math.round(clock.now() - t0);
    });
  } catch (error) {
    harnessError = await drillFailure(error, t0 !== null, cleanup);
  } finally {
    cleanupFailures = await cleanup.dispose();
  }
  if (rtoMs !== null && rtoMs > objectives.rtoMs) reasons.push(`the restore took ${Math.round(rtoMs / 1000)} s, over the objective RTO of ${Math.round(objectives.rtoMs / 1000)} s`);
  if (rpoMs !== null && rpoMs > objectives.rpoMs) reasons.push(`the restore point lay ${Math.round(rpoMs / 1000)} s behind, over the objective RPO of ${Math.round(objectives.rpoMs / 1000)} s`);
  if (options.keep && t0 !== null) notes.push('The restored copy was kept (--keep): it stays billed until you delete it.');
  return {
    scenario: 'database-lost',
    title: `Point-in-time restore (RDS ${options.instanceId})`,
    variant: 'rds',
    status: harnessError ? 'error' : reasons.length ? 'breached' : 'passed',
    reasons: harnessError ? [redact(harnessError)] : reasons,
    ...measuredFields(undefined, undefined, undefined, 0),
    rtoMs,
    rpoMs,
    objectives,
    fault: { name: 'rds-restore', description: `the loss of ${options.instanceId}, answered by a point-in-time restore to its latest restorable time`, holdMs: 0 },
    steps,
    startedAt: clock.wall(0),
    finishedAt: new Date().toISOString(),
    t0Ms: t0,
    cleanupFailures,
    notes: [`RTO here is the restore's own time (call to verified copy); RPO is how far the restore point lay behind the call. No load runs: the source keeps serving.`, ...notes],
  };
}
