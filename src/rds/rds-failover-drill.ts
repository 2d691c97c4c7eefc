import { RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import pg from 'pg';
import { UserError } from '../core/errors.ts';
import type { DrillResult, StepResult } from '../core/result.ts';
import type { Objectives } from '../core/scenario.ts';
import { DEFAULT_SLOW_REQUEST_MS, loadData, measuredFields, presentIds, recoveryOf, waitForHealth, type LedgerTable } from '../engine/drill.ts';
import { openStepContext } from '../engine/step-context.ts';
import { awaitSteadyState, describeWindow } from '../engine/steady-state.ts';
import { judge } from '../engine/verdict.ts';
import { lazyBinaries } from '../guide/open-session.ts';
import { startLoad, type LoadOutcome, type LoadProfile } from '../load/load-generator.ts';
import { DrillClock } from '../measure/clock.ts';
import { measureDataLoss, type DataLossMeasure } from '../measure/data-loss.ts';
import { DEFAULT_RECOVERY_CRITERIA, type RecoveryMeasure } from '../measure/recovery.ts';
import { SAMPLE_SYSTEM, type SystemUnderDrill } from '../system/system.ts';
import { CleanupStack } from '../util/cleanup.ts';
import { redact } from '../util/redact.ts';
import { sleep } from '../util/sleep.ts';
import { rdsCall } from './aws-errors.ts';
import { drillFailure } from './drill-error.ts';
import { describeInstance, instanceTags } from './describe-instance.ts';
import { openRdsClient, waiterTiming } from './rds-client.ts';
import { RdsTarget } from './rds-target.ts';
import { waitAvailable } from './wait-available.ts';

/** The seed's objectives for a primary failure (as the lab scenario primary-failover): RTO 1 min, RPO 0 (Multi-AZ replicates synchronously). */
export const RDS_FAILOVER_OBJECTIVES: Objectives = { rtoMs: 60_000, rpoMs: 0 };

/** How to drill a forced failover of an RDS instance under the load of the user's own service. */
export interface RdsFailoverDrillOptions {
  instanceId: string;
  region?: string;
  /** The service the load runs against (it must use the instance). */
  serviceUrl: string;
  /** The instance's DATABASE_URL: where the ledger table is read (ids to read before the fault, acknowledged writes after it). Secret. */
  databaseUrl: string;
  /** Allowed on an instance not tagged pgdrill:drill=allowed. */
  allowDestructive: boolean;
  system?: SystemUnderDrill;
  objectives?: Partial<Objectives>;
  load?: Partial<LoadProfile>;
  warmupMs?: number;
  /** How long the load goes on after the instance is available again. */
  observeMs?: number;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * `drill primary-failover --target rds:<id>`: checks everything first
 * (instance Multi-AZ and available, tagged or --allow-destructive, the
 * service healthy), runs the load against the user's service, forces a
 * failover through the API at t0 (RebootDBInstance ForceFailover), waits
 * with the SDK waiter, observes, and measures RTO and RPO exactly as a lab
 * drill does (the same load generator, recovery windows, ledger
 * reconciliation and verdict). A forced failover creates nothing billed.
 * Refusals and bad input are `UserError`s thrown before anything happens;
 * once the load runs, failures are a result with status `error`.
 */
export async function runRdsFailoverDrill(options: RdsFailoverDrillOptions): Promise<DrillResult> {
  const log = (line: string) => options.log?.(redact(line));
  const system = options.system ?? SAMPLE_SYSTEM;
  const objectives: Objectives = { ...RDS_FAILOVER_OBJECTIVES, ...options.objectives };
  const profile: LoadProfile = { rate: 50, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 60 * 60_000, ...options.load };
  const clock = new DrillClock();
  const cleanup = new CleanupStack();
  const signal = options.signal ? AbortSignal.any([options.signal, cleanup.signal]) : cleanup.signal;
  const client = openRdsClient({ ...(options.region ? { region: options.region } : {}), ...(options.env ? { env: options.env } : {}) });
  cleanup.defer('release the RDS client', async () => client.destroy());
  const steps: StepResult[] = [];
  let t0: number | null = null;
  let outcome: LoadOutcome | undefined;
  let recovery: RecoveryMeasure | undefined;
  let loss: DataLossMeasure | undefined;
  let harnessError: string | undefined;
  let evidence: string | undefined;
  let cleanupFailures: string[] = [];
  try {
    const instance = await describeInstance(client, options.instanceId);
    const target = new RdsTarget(client, instance, await instanceTags(client, instance), options.databaseUrl, options.region);
    if (!target.drillAllowed && !options.allowDestructive) throw new UserError(`The RDS instance ${target.name} is not tagged pgdrill:drill=allowed: pgdrill forces a failover on it only with --allow-destructive.`, 'Drill a staging instance: tag it pgdrill:drill=allowed, or pass --allow-destructive.');
    if (!instance.MultiAZ) throw new UserError(`The RDS instance ${target.name} is single-AZ: it has no standby, and a forced failover is refused by RDS.`, 'Drill a Multi-AZ instance (aws rds modify-db-instance --multi-az), or rehearse with `pgdrill guide primary-failover --target rds:<id>` (which promotes a read replica).');
    if (instance.DBInstanceStatus !== 'available') throw new UserError(`The RDS instance ${target.name} is ${instance.DBInstanceStatus}, not available: the drill starts from a healthy instance.`, 'Wait until it is available and run the drill again.');
    log(`Cost: a forced failover creates nothing billed; every connection to ${target.name} drops while DNS moves to the standby (typically 60-120 s).`);
    log(`Waiting for the service at ${options.serviceUrl} to answer GET ${system.readyPath}.`);
    await waitForHealth(options.serviceUrl.replace(/\/+$/, ''), system.readyPath, 30_000, signal, true);
    const contexts = openStepContext({ target, binaries: lazyBinaries(options.env ?? process.env), system });
    cleanup.defer('close the ledger connections', () => contexts.close());
    const data = await loadData(contexts, system);
    const database = system.kind === 'configured' ? system.database : target.sqlUrl?.database ?? 'payments_db';

    const load = startLoad(options.serviceUrl.replace(/\/+$/, ''), profile, data, clock);
    const loadStartedAt = clock.now();
    const stopLoad = cleanup.defer('stop the load', () => load.stop().then(() => undefined));
    const warmupMs = options.warmupMs ?? 3000;
    log(`Load: ${profile.rate} requests/s, ${Math.round(profile.writeRatio * 100)}% writes, against ${options.serviceUrl}; steady state for ${warmupMs} ms.`);
    const steady = await awaitSteadyState({ timeline: load.timeline, now: () => clock.now(), startedAt: loadStartedAt, windowMs: warmupMs, slowRequestMs: DEFAULT_SLOW_REQUEST_MS, signal, log });
    if (!steady.holds) {
      throw new UserError(`The steady state does not hold before the fault: in the last of ${steady.windows} warm-up windows of ${(warmupMs / 1000).toFixed(1)} s, ${describeWindow(steady, DEFAULT_SLOW_REQUEST_MS)} (requests to ${options.serviceUrl}).`, 'A drill measures recovery only from a healthy start: fix the service, or lower --rate.');
    }

    t0 = clock.now();
    const params = { DBInstanceIdentifier: target.name, ForceFailover: true };
    log(`Fault at t0: RDS RebootDBInstance ${JSON.stringify(params)}`);
    const zoneBefore = instance.AvailabilityZone ?? 'unknown';
    const out = await rdsCall('RebootDBInstance', target.name, () => client.send(new RebootDBInstanceCommand(params)));
    const requested = clock.now();
    steps.push({ id: 'force-failover', title: `RebootDBInstance ForceFailover on ${target.name}`, status: 'done', durationMs: Math.round(requested - t0), startedAtMs: Math.round(t0), detail: `request id ${out.$metadata.requestId ?? 'none'}` });
    log(`Accepted, request id ${out.$metadata.requestId ?? 'none'}; waiting with the SDK waiter.`);
    const after = await waitAvailable(client, target.name, waiterTiming(options.env), (p) => log(`${target.name}: ${p.status}, ${Math.round(p.elapsedMs / 1000)} s`), signal);
    const zoneAfter = after.AvailabilityZone ?? 'unknown';
    evidence = `RDS accepted the failover (request id ${out.$metadata.requestId ?? 'none'}); zone ${zoneBefore} → ${zoneAfter}`;
    steps.push({ id: 'wait-available', title: `Wait until ${target.name} is available`, status: 'done', durationMs: Math.round(clock.now() - requested), startedAtMs: Math.round(requested), detail: `available in ${zoneAfter}` });
    const observeMs = Math.max(options.observeMs ?? 10_000, DEFAULT_RECOVERY_CRITERIA.windowMs + 500);
    log(`Observing recovery for ${observeMs} ms.`);
    await sleep(observeMs, signal);
    await stopLoad();
    outcome = await load.stop();
    const ctx = contexts.forStep(() => {}, new AbortController().signal);
    const [typeRow] = await ctx.sql(database, 'SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2', [`${pg.escapeIdentifier(system.ledger.schema)}.${pg.escapeIdentifier(system.ledger.table)}`, system.ledger.idColumn]);
    const ledger: LedgerTable = { ...system.ledger, idType: String(typeRow?.t ?? 'text') };
    loss = measureDataLoss(outcome.ledger, outcome.attemptedWriteIds, await presentIds((text, p) => ctx.sql(database, text, p), outcome.attemptedWriteIds, ledger), t0);
    recovery = recoveryOf(outcome, loss, t0, outcome.stoppedAt, DEFAULT_SLOW_REQUEST_MS);
  } catch (error) {
    harnessError = await drillFailure(error, t0 !== null, cleanup);
  } finally {
    cleanupFailures = await cleanup.dispose();
  }
  const verdict = harnessError ? { status: 'error' as const, reasons: [redact(harnessError)] } : judge(objectives, recovery!, loss!, steps, { name: 'The forced failover', ...(evidence ? { evidence } : {}) });
  return {
    scenario: 'primary-failover',
    title: `Primary fails over (RDS ${options.instanceId}, Multi-AZ)`,
    variant: 'rds',
    status: verdict.status,
    reasons: verdict.reasons,
    ...measuredFields(recovery, loss, outcome, DEFAULT_SLOW_REQUEST_MS),
    objectives,
    fault: { name: 'rds-force-failover', description: `RebootDBInstance with ForceFailover on ${options.instanceId}`, holdMs: 0, ...(evidence ? { evidence } : {}) },
    steps,
    startedAt: clock.wall(0),
    finishedAt: new Date().toISOString(),
    t0Ms: t0,
    cleanupFailures,
    notes: [`Target: RDS ${options.instanceId} through the RDS API; load against ${options.serviceUrl}.`],
  };
}
