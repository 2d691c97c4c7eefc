import { UserError, describeError, errorMessage, isHarnessBug } from '../core/errors.ts';
import type { DrillResult, StepResult } from '../core/result.ts';
import type { Objectives, Scenario, ServiceSettings } from '../core/scenario.ts';
import type { Fault, FaultContext } from '../faults/fault.ts';
import { ProxyLink } from '../faults/proxy-link.ts';
import { Lab, defaultLabDir } from '../lab/lab.ts';
import { lackingCapabilities, type DrillLab, type DrillTargetKind } from '../lab/cluster.ts';
import { DockerLab } from '../docker/docker-lab.ts';
import { dockerImages, type DockerImages } from '../docker/images.ts';
import { POOLER_SETTINGS } from '../lab/pooler.ts';
import { startLoad, type LoadData, type LoadOutcome, type LoadProfile } from '../load/load-generator.ts';
import { DrillClock } from '../measure/clock.ts';
import { measureDataLoss, type DataLossMeasure, type PresentIds } from '../measure/data-loss.ts';
import { DEFAULT_RECOVERY_CRITERIA, applyLatencyObjective, measureRecovery, type RecoveryMeasure } from '../measure/recovery.ts';
import type { TimelineEvent } from '../measure/timeline.ts';
import { startSupervisedService } from '../service/supervised-service.ts';
import { CleanupStack, interruptedBy } from '../util/cleanup.ts';
import { redact } from '../util/redact.ts';
import type { RunbookListener } from './events.ts';
import { openFaultProxy } from './fault-proxy.ts';
import { unattendedDriver, type RecoveryDriver } from './recovery-driver.ts';
import { openStepContext, type StepContextHandle } from './step-context.ts';
import { judge } from './verdict.ts';
import { sleep } from '../util/sleep.ts';
import { awaitSteadyState, describeWindow } from './steady-state.ts';
import path from 'node:path';
import pg from 'pg';
import { provisionSystem } from '../system/provision.ts';
import { SAMPLE_SYSTEM, systemApi, type SystemUnderDrill } from '../system/system.ts';
import { startUserService } from '../system/user-service.ts';
import { externalService } from '../system/external-service.ts';
import type { SupervisedService } from '../service/supervised-service.ts';

/**
 * A request answered later than this after it was sent counts as failed: a
 * user who waited longer was not served, even if a retry succeeded at last.
 */
export const DEFAULT_SLOW_REQUEST_MS = 1000;

/** How to run one drill. Everything is optional; the scenario holds the defaults. */
export interface DrillOptions {
  /** The lab directory; default `.pgdrill` under the current directory. */
  labDir?: string;
  /** A variant of the scenario (another fault, same runbook). */
  variant?: string;
  /** Overrides how long the fault stands before the runbook starts. */
  holdMs?: number;
  /** Overrides the scenario's objectives. */
  objectives?: Partial<Objectives>;
  /** Overrides the load profile. */
  load?: Partial<LoadProfile>;
  /** Overrides how long recovery is observed after the runbook. */
  observeMs?: number;
  /** Overrides the sample service's settings (retries, timeouts). */
  service?: ServiceSettings;
  /** Puts PgBouncer in the service's path (service → fault proxy → PgBouncer → PostgreSQL); a scenario that needs `pooler` has it anyway. */
  pooler?: boolean;
  /** Where the drill runs: `lab` (default, the embedded lab) or `docker` (PostgreSQL and Toxiproxy containers). */
  target?: DrillTargetKind;
  /** The images of the Docker target (default: see `dockerImages`). */
  dockerImages?: DockerImages;
  /** The system under drill (see `systemUnderDrill`); default the sample payments service. */
  system?: SystemUnderDrill;
  /** Where a configured service's stdout and stderr go; default `.pgdrill/logs/<scenario>-service.log` under the current directory. */
  serviceLogFile?: string;
  /** Progress lines for a person (already redacted). */
  log?: (line: string) => void;
  /** Runbook events (terminal reporter, journal, UI) of the default, unattended driver. */
  onEvent?: RunbookListener;
  /** Who works the runbook once the fault stands (default: pgdrill, unattended; a game day: a person). */
  driver?: RecoveryDriver;
  /** How long the steady state runs under load before the fault is injected, beyond the warm-up (a game day's surprise). */
  injectDelayMs?: number;
  /**
   * A resumed game day: the incident is already under way. A fault whose
   * damage persists in the lab (`Fault.persistsInLab`) is not injected
   * again, and the steady state is not required before it.
   */
  resumingIncident?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Aborts the drill; cleanup still runs. */
  signal?: AbortSignal;
}

/** The full record of a drill: the result plus what it was computed from. */
export interface DrillRecord {
  result: DrillResult;
  load: LoadOutcome | undefined;
  events: TimelineEvent[];
  /** How long the measurements took once the load stopped (ledger reconciled against the database, RTO and RPO), ms. */
  measureMs?: number;
}

/** Polls GET `url` + `readyPath` until it answers 2xx; a service that does not within `timeoutMs` is a `UserError` with its last answer. */
export async function waitForHealth(url: string, readyPath: string, timeoutMs: number, signal: AbortSignal, external: boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}${readyPath}`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = errorMessage(error);
    }
    await sleep(200, signal);
  }
  if (external) {
    throw new UserError(
      `The service at ${url} did not answer GET ${readyPath} with 200 within ${timeoutMs} ms of the drill's proxy opening (last answer: ${redact(last)}).`,
      'Start it with the DATABASE_URL that `pgdrill lab up --print-env` printed (the same config), check system.service.url and ready, then run the drill again.',
    );
  }
  throw new UserError(`The sample service did not become healthy within ${timeoutMs} ms (last answer: ${redact(last)}).`, 'Check that the lab is running (`pgdrill lab status`) and its fixtures are loaded.');
}

/** The ids the load reads before it has written any: the sample's seeded payments, or rows the configured system's schema seeded in its ledger table. */
export async function loadData(contexts: StepContextHandle, system: SystemUnderDrill): Promise<LoadData> {
  const ctx = contexts.forStep(() => {}, new AbortController().signal);
  if (system.kind === 'configured') {
    const { schema, table, idColumn } = system.ledger;
    const rows = await ctx.sql(system.database, `SELECT ${pg.escapeIdentifier(idColumn)}::text AS id FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)} ORDER BY 1 LIMIT 200`);
    return { paymentIds: rows.map((r) => String(r.id)), userIds: [], api: systemApi(system) };
  }
  const rows = await ctx.sql('payments_db', 'SELECT id::text AS id, user_id::text AS user_id FROM payments ORDER BY id LIMIT 200');
  return { paymentIds: rows.map((r) => String(r.id)), userIds: [...new Set(rows.map((r) => String(r.user_id)))] };
}

/** Where acknowledged writes are looked for: a ledger table, its id column and that column's SQL type. */
export interface LedgerTable {
  schema: string;
  table: string;
  idColumn: string;
  idType: string;
}

/**
 * Which of `ids` the ledger table holds (default: the sample's payments).
 * Asks for the missing ones only (after a drill, usually none), in large
 * batches: a 30-minute drill at 1000 requests/s attempts about 900 k writes.
 */
export async function presentIds(sql: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>, ids: readonly string[], ledger: LedgerTable = { ...SAMPLE_SYSTEM.ledger, idType: 'uuid' }): Promise<PresentIds> {
  const missing = new Set<string>();
  const table = `${pg.escapeIdentifier(ledger.schema)}.${pg.escapeIdentifier(ledger.table)}`;
  const column = pg.escapeIdentifier(ledger.idColumn);
  // The id type comes from the catalog (format_type), checked by provisionSystem: uuid, text or varchar.
  const type = /^[a-z ]+(\(\d+\))?$/.test(ledger.idType) ? ledger.idType : 'text';
  for (let i = 0; i < ids.length; i += 50_000) {
    const rows = await sql(`SELECT x::text AS id FROM unnest($1::${type}[]) AS x WHERE NOT EXISTS (SELECT 1 FROM ${table} p WHERE p.${column} = x)`, [ids.slice(i, i + 50_000)]);
    for (const row of rows) missing.add(String(row.id));
  }
  return { has: (id) => !missing.has(id) };
}

function pickFault(scenario: Scenario, variant: string | undefined): Fault {
  if (!variant) return scenario.fault;
  const found = scenario.variants?.[variant];
  if (!found) {
    const known = Object.keys(scenario.variants ?? {});
    throw new UserError(
      `The scenario "${scenario.id}" has no variant "${variant}".`,
      known.length ? `Use one of: ${known.join(', ')}, or leave --variant out.` : 'This scenario has no variants; leave --variant out.',
    );
  }
  return found.fault;
}

/**
 * Runs one scenario end to end on the lab: lab up, fault proxy, sample
 * service, load, steady state, fault at t0, hold, runbook, observation,
 * ledger reconciled, verdict. Cleanup always runs (fault reverted, load,
 * service, proxy stopped, and the lab stopped if this drill started it),
 * also on SIGINT/SIGTERM. Never throws: a harness failure is a result with
 * status `error`.
 */
export async function runDrill(scenario: Scenario, options: DrillOptions = {}): Promise<DrillRecord> {
  const clock = new DrillClock();
  const log = (line: string) => options.log?.(redact(line));
  const cleanup = new CleanupStack();
  const signal = options.signal ? AbortSignal.any([options.signal, cleanup.signal]) : cleanup.signal;
  const events: TimelineEvent[] = [];
  const mark = (kind: TimelineEvent['kind'], label: string) => events.push({ at: clock.now(), kind, label });
  const objectives: Objectives = { ...scenario.objectives, ...options.objectives };
  const holdMs = options.holdMs ?? scenario.holdMs;
  const observeMs = Math.max(options.observeMs ?? scenario.observeMs, DEFAULT_RECOVERY_CRITERIA.windowMs + 500);
  const profile: LoadProfile = { ...scenario.load, ...options.load };
  const slowRequestMs = scenario.slowRequestMs ?? DEFAULT_SLOW_REQUEST_MS;
  const system = options.system ?? SAMPLE_SYSTEM;
  const notApplicable = scenario.notFor?.(system);
  if (notApplicable) return skippedRecord(scenario, options, objectives, holdMs, clock, `The scenario "${scenario.id}" does not apply to ${system.database}: ${notApplicable}.`);
  const pooled = options.pooler === true || scenario.needs?.includes('pooler') === true;
  const targetKind = options.target ?? 'lab';
  const lacking = lackingCapabilities(scenario, targetKind);
  if (lacking) return skippedRecord(scenario, options, objectives, holdMs, clock, lacking);

  let fault: Fault = scenario.fault;
  let steps: StepResult[] = scenario.runbook.steps.map((s) => ({ id: s.id, title: s.title, status: 'skipped', durationMs: 0, startedAtMs: 0, detail: 'not run' }));
  let t0: number | null = null;
  let outcome: LoadOutcome | undefined;
  let recovery: RecoveryMeasure | undefined;
  let loss: DataLossMeasure | undefined;
  let harnessError: string | undefined;
  let cleanupFailures: string[] = [];
  let faultEvidence: string | undefined;
  let measureMs: number | undefined;
  let loadStartedAt: number | undefined;
  let warmupNote: string | undefined;

  try {
    // The drill's own work (lab, restores, checks) runs in the cleanup stack's work scope: a signal stops it.
    await cleanup.scope(async () => {
      fault = pickFault(scenario, options.variant);
      let lab: Lab | undefined;
      let drillLab: DrillLab;
      let docker: DockerLab | undefined;
      if (targetKind === 'docker') {
        if (options.pooler) throw new UserError('--pooler is not available on the Docker target yet: its lab has no PgBouncer.', 'Leave --pooler out, or run the drill on the embedded lab (without --target docker).');
        docker = new DockerLab({ labDir: options.labDir ?? defaultLabDir(), images: options.dockerImages ?? dockerImages({}, options.env), log, env: options.env });
        const d = docker;
        cleanup.defer('remove the Docker lab if this drill created it', () => d.releaseEphemeral().then(() => undefined));
        await d.up('ephemeral');
        drillLab = d;
      } else {
        const l = new Lab({ labDir: options.labDir, log, env: options.env });
        lab = l;
        cleanup.defer('stop the lab if this drill started it', () => l.releaseEphemeral().then(() => undefined));
        await l.up('ephemeral', { pooler: pooled });
        drillLab = l;
      }
      const cluster = drillLab.cluster;
      const pooler = pooled ? (lab?.pooler ?? undefined) : undefined;
      if (signal.aborted) throw signal.reason;
      if (scenario.needs?.includes('wal-archive')) {
        const archiver = await cluster.archiverHealth();
        if (archiver.problem) throw new UserError(`The scenario "${scenario.id}" recovers from the WAL archive, and the lab's archiver is failing, so its runbook could not succeed. ${archiver.problem}`, 'Fix the archiver first (`pgdrill lab status` shows it), then run the drill again.');
      }

      const provisioned = await provisionSystem(docker ?? lab!, system, log, system.external ? 'reuse' : 'fresh');
      if (signal.aborted) throw signal.reason;

      const proxyServer = docker ? await docker.faultProxy() : await openFaultProxy(options.env);
      cleanup.defer('close the fault proxy', () => proxyServer.close());
      const proxyKind = { external: 'Toxiproxy from TOXIPROXY_URL', binary: 'toxiproxy-server from PATH', 'built-in': 'built-in server', container: "the Docker lab's Toxiproxy container" }[proxyServer.kind];
      log(`Fault proxy: ${proxyKind} at ${proxyServer.url}.`);
      // A service pgdrill does not run reaches the database through the port its DATABASE_URL names.
      // On Docker the proxy listens inside its container, on a port published on loopback, and dials PostgreSQL by its network alias.
      const proxyName = `pgdrill_${system.database}_${process.pid}`;
      const link = docker
        ? await ProxyLink.create(proxyServer.client, proxyName, docker.proxyUpstream, 0, await docker.freeProxyPort(proxyServer.client))
        : await ProxyLink.create(proxyServer.client, proxyName, pooler ? pooler.endpoint : drillLab.proxyUpstream, provisioned.proxyPort ?? 0);
      if (pooler) log(`PgBouncer (pid ${pooler.pid()}) at ${pooler.endpoint.host}:${pooler.endpoint.port}: the path is service → fault proxy → PgBouncer → PostgreSQL.`);
      cleanup.defer('remove the drill proxy', () => link.remove());

      let service: SupervisedService;
      if (system.external) {
        service = externalService(system.external.url);
        log(`Service at ${service.url} (not started by pgdrill): waiting for GET ${system.readyPath} to answer 200 through the proxy on ${link.listen.host}:${link.listen.port}.`);
      } else if (system.service) {
        const logFile = options.serviceLogFile ?? path.join(process.cwd(), '.pgdrill', 'logs', `${scenario.id}-service.log`);
        log(`Starting the service: ${system.service.command.join(' ')} (in ${system.service.cwd}; log: ${logFile}).`);
        // Registered before it starts: a start that fails halfway or is interrupted leaves nothing running.
        let started: SupervisedService | undefined;
        cleanup.defer('stop the service', () => started?.stop() ?? Promise.resolve());
        service = started = await startUserService({ service: system.service, readyPath: system.readyPath, databaseUrl: provisioned.serviceUrl(link.listen), logFile, log: (line) => log(`service: ${line}`), signal });
        log(`Service at ${service.url} (pid ${service.pid}) answers ${system.readyPath}; it reaches ${system.database} as ${system.serviceRole} through ${link.listen.host}:${link.listen.port}.`);
      } else {
        service = await startSupervisedService({ ...scenario.service, ...options.service, databaseUrl: provisioned.serviceUrl(link.listen), log: (line) => log(`service: ${line}`) });
        cleanup.defer('stop the sample service', () => service.stop());
        log(`Sample service at ${service.url} (pid ${service.pid}), reaching PostgreSQL through ${link.listen.host}:${link.listen.port}.`);
      }

      const contexts = openStepContext({ target: cluster, binaries: drillLab.pg(), replica: () => drillLab.replicaCluster, drillLab, link, serviceUrl: service.url, service, ...(lab ? { lab } : {}), system, ...(pooler ? { pooler } : {}) });
      cleanup.defer('close runbook connections', () => contexts.close());
      if (system.external) await waitForHealth(service.url, system.readyPath, system.external.readyTimeoutMs, signal, true);
      else if (!system.service) await waitForHealth(service.url, SAMPLE_SYSTEM.readyPath, 20_000, signal, false);
      const faultCtx: FaultContext = { target: cluster, drillLab, ...(lab ? { lab } : {}), link, service, system, log, ...(pooler ? { pooler } : {}) };
      if (scenario.setup) {
        log('Preparing the scenario (setup).');
        await scenario.setup(faultCtx);
      }
      const data = await loadData(contexts, system);
      // Open the runbook's own connections now, while the server has room: a fault may take every free slot.
      await contexts.forStep(() => {}, signal).sql('postgres', 'SELECT 1');

      const load = startLoad(service.url, profile, data, clock);
      const stopLoad = cleanup.defer('stop the load', () => load.stop().then(() => undefined));
      mark('load-start', `load: ${profile.rate} req/s, ${Math.round(profile.writeRatio * 100)}% writes`);
      loadStartedAt = clock.now();
      log(`Load: ${profile.rate} requests/s, ${Math.round(profile.writeRatio * 100)}% writes; checking the steady state for ${scenario.warmupMs} ms.`);
      const damageStanding = options.resumingIncident === true && fault.persistsInLab === true;
      // The same latency objective as the recovery measurement: a healthy start answers in time, not just eventually.
      const steady = await awaitSteadyState({ timeline: load.timeline, now: () => clock.now(), startedAt: loadStartedAt, windowMs: scenario.warmupMs, slowRequestMs, signal, log, ...(damageStanding ? { windows: 1 } : {}) });
      if (steady.earlier.length > 0 && steady.holds) {
        warmupNote = `The steady state held only in warm-up window ${steady.window} of ${steady.windows} (${(steady.windowMs / 1000).toFixed(1)} s each): the fault waited, since earlier windows had ${steady.earlier.join('; ')}.`;
      }
      if (!damageStanding && !steady.holds) {
        throw new UserError(
          `The steady state does not hold before the fault: in the last of ${steady.windows} warm-up windows of ${(steady.windowMs / 1000).toFixed(1)} s, ${describeWindow(steady, slowRequestMs)}${steady.firstFailure ? ` (${steady.firstFailure.kind === 'write' ? `${system.write.method} ${system.write.path}` : `${system.read.method} ${system.read.path}`})` : ''}.`,
          system.kind === 'configured'
            ? `A drill measures recovery only from a healthy start: a write must answer 2xx and a read of a written id 200, within ${slowRequestMs} ms${system.service ? " (the service's log is named above)" : ''}; fix the service or its templates, or lower the load rate.`
            : 'A drill measures recovery only from a healthy start: check the lab and the service, or lower the load rate.',
        );
      }

      const driver = options.driver ?? unattendedDriver(options.onEvent);
      driver.loadStarted?.(load, clock);
      if (options.injectDelayMs && options.injectDelayMs > 0) {
        log(`The fault comes within the next ${Math.ceil(options.injectDelayMs / 1000)} s (a surprise).`);
        await sleep(options.injectDelayMs, signal);
      }

      cleanup.defer(`revert the fault (${fault.name})`, () => fault.revert(faultCtx));
      log(damageStanding ? `The fault's damage from before the resume is still in the lab: ${fault.description}.` : `Injecting the fault: ${fault.description}.`);
      t0 = clock.now();
      const evidence = damageStanding ? { detail: 'not injected again: its damage from before the resume is still in the lab' } : await fault.inject(faultCtx);
      if (evidence) faultEvidence = evidence.detail;
      mark('fault-injected', faultEvidence ? `${fault.name}: ${faultEvidence}` : fault.name);
      if (holdMs > 0) {
        log(`The fault stands for ${holdMs} ms before the runbook starts.`);
        await sleep(holdMs, signal);
      }

      log(`Running runbook "${scenario.runbook.id}".`);
      steps = await driver.recover({ scenario, cluster, ...(lab ? { lab } : {}), contexts, clock, t0Ms: t0, faultDetail: faultEvidence, load, signal, mark });
      log(`Observing recovery for ${observeMs} ms.`);
      await sleep(observeMs, signal);
      await stopLoad();
      outcome = await load.stop();
      mark('load-stop', `${outcome.timeline.length} requests`);

      await fault.revert(faultCtx);
      const measureStart = performance.now();
      // Windows are read from answers; what was still in flight at the stop would answer after it.
      const observedUntil = outcome.stoppedAt;
      const ledger: LedgerTable = { ...system.ledger, idType: provisioned.idType };
      loss = measureDataLoss(outcome.ledger, outcome.attemptedWriteIds, await presentIds((text, params) => contexts.forStep(() => {}, new AbortController().signal).sql(system.database, text, params), outcome.attemptedWriteIds, ledger), t0);
      recovery = recoveryOf(outcome, loss, t0, observedUntil, slowRequestMs);
      if (recovery.recoveredAt !== null) events.push({ at: recovery.recoveredAt, kind: 'recovered', label: 'service answers again' });
      measureMs = performance.now() - measureStart;
    });
  } catch (error) {
    // A fault's or step's own error (PostgreSQL, a command, a UserError) is reported as what it is; only a bug gets a stack.
    if (signal.aborted) harnessError = `The drill was interrupted${interruptedBy() ? ` (${interruptedBy()})` : ''}.`;
    else if (isHarnessBug(error)) harnessError = `internal error (a bug in pgdrill): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    else harnessError = describeError(error);
  } finally {
    cleanupFailures = await cleanup.dispose();
    for (const failure of cleanupFailures) log(`Cleanup: ${failure}`);
  }

  const verdict = harnessError
    ? { status: 'error' as const, reasons: [redact(harnessError)] }
    : judge(objectives, recovery!, loss!, steps, { name: `The fault "${fault.name}"`, evidence: faultEvidence, evidenceIsProof: scenario.evidenceIsProof === true });
  const notes: string[] = [];
  if (targetKind === 'docker' && outcome) {
    const images = options.dockerImages ?? dockerImages({}, options.env);
    notes.push(`Target: Docker (${images.postgres}, ${images.toxiproxy}); the service reached PostgreSQL through the Toxiproxy container.`);
  }
  if (warmupNote) notes.push(warmupNote);
  if (pooled) notes.push(`Path: service → fault proxy → PgBouncer (transaction pooling, ${POOLER_SETTINGS.poolSizePerDatabase} server connections per database) → PostgreSQL.`);
  if (fault.name === 'none' && recovery && (recovery.rtoMs ?? 1) > 0) {
    notes.push(
      `No fault was injected: the measured RTO (${recovery.rtoMs === null ? 'no recovery while observed' : `${(recovery.rtoMs / 1000).toFixed(1)} s`}) is how long the procedure itself disturbed the service running beside it (${recovery.failuresAfterFault} requests failed or took longer than ${slowRequestMs} ms). In production the procedure runs away from the live service (the seed: on staging).`,
    );
  }
  if (outcome?.stats.inFlightCapHit) {
    const s = outcome.stats;
    notes.push(`The load reached its cap of ${s.inFlightCap} requests in flight: ${s.skipped} sends were skipped, so the service was sampled at ${s.sentRate.toFixed(1)} of ${s.targetRate} requests/s while it was slow (raise the load's maxInFlight, or lower its rate).`);
  }
  const result: DrillResult = {
    scenario: scenario.id,
    title: scenario.title,
    variant: options.variant ?? null,
    status: verdict.status,
    reasons: verdict.reasons,
    ...measuredFields(recovery, loss, outcome, slowRequestMs),
    objectives,
    fault: {
      name: fault.name,
      description: fault.description,
      holdMs,
      ...(faultEvidence ? { evidence: faultEvidence } : {}),
      ...(options.injectDelayMs && t0 !== null && loadStartedAt !== undefined ? { surpriseMs: Math.round(options.injectDelayMs), steadyMs: Math.round(t0 - loadStartedAt) } : {}),
    },
    steps,
    startedAt: clock.wall(0),
    finishedAt: new Date().toISOString(),
    t0Ms: t0,
    cleanupFailures,
    notes,
  };
  return { result, load: outcome, events, ...(measureMs === undefined ? {} : { measureMs }) };
}

/**
 * RTO and time to detect from the load's timeline, requests slower than
 * `slowRequestMs` counted as failed. A read of a write that was lost for
 * good fails for ever: that is data loss (RPO), counted in the ledger, not
 * unavailability, so it does not hold the recovery window shut.
 */
export function recoveryOf(outcome: LoadOutcome, loss: DataLossMeasure, t0: number, observedUntil: number, slowRequestMs: number): RecoveryMeasure {
  const lost = new Set(loss.lostIds);
  const withObjective = applyLatencyObjective(outcome.timeline, slowRequestMs);
  const judged = lost.size === 0 ? withObjective : withObjective.filter((i) => !(!withObjective.isWrite(i) && withObjective.status(i) === 404 && lost.has(withObjective.id(i) ?? '')));
  return measureRecovery(judged, t0, observedUntil);
}

/** The measured part of a `DrillResult` (RTO, RPO, writes, requests, the load's rates), from what was measured (nulls and zeros for what was not). */
export function measuredFields(recovery: RecoveryMeasure | undefined, loss: DataLossMeasure | undefined, outcome: LoadOutcome | undefined, slowRequestMs: number): Pick<DrillResult, 'rtoMs' | 'ttdMs' | 'rpoMs' | 'ackedWrites' | 'lostWrites' | 'unackedPresentWrites' | 'requests' | 'failedRequests' | 'load'> {
  const judgedAll = outcome ? applyLatencyObjective(outcome.timeline, slowRequestMs) : undefined;
  return {
    rtoMs: recovery?.rtoMs ?? null,
    ttdMs: recovery?.ttdMs ?? null,
    rpoMs: loss?.rpoMs ?? null,
    ackedWrites: loss?.ackedWrites ?? outcome?.ledger.length ?? 0,
    lostWrites: loss?.lostWrites ?? 0,
    unackedPresentWrites: loss?.unackedPresent ?? 0,
    requests: outcome?.timeline.length ?? 0,
    failedRequests: judgedAll ? judgedAll.count((i) => !judgedAll.ok(i)) : 0,
    load: outcome ? { targetRate: outcome.stats.targetRate, sentRate: Math.round(outcome.stats.sentRate * 10) / 10, maxInFlight: outcome.stats.maxInFlight, inFlightCapHit: outcome.stats.inFlightCapHit } : null,
  };
}

/** The record of a drill that did not run because its scenario does not apply to the system under drill. */
function skippedRecord(scenario: Scenario, options: DrillOptions, objectives: Objectives, holdMs: number, clock: DrillClock, reason: string): DrillRecord {
  const fault = scenario.fault;
  const result: DrillResult = {
    scenario: scenario.id,
    title: scenario.title,
    variant: options.variant ?? null,
    status: 'skipped',
    reasons: [reason],
    rtoMs: null,
    ttdMs: null,
    rpoMs: null,
    ackedWrites: 0,
    lostWrites: 0,
    unackedPresentWrites: 0,
    requests: 0,
    failedRequests: 0,
    objectives,
    fault: { name: fault.name, description: fault.description, holdMs },
    steps: scenario.runbook.steps.map((s) => ({ id: s.id, title: s.title, status: 'skipped', durationMs: 0, startedAtMs: 0, detail: 'not run' })),
    startedAt: clock.wall(0),
    finishedAt: new Date().toISOString(),
    t0Ms: null,
    load: null,
    cleanupFailures: [],
    notes: [],
  };
  return { result, load: undefined, events: [] };
}
