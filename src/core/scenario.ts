import { z } from 'zod';
import type { Fault, FaultContext } from '../faults/fault.ts';
import type { LoadProfile } from '../load/load-generator.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import type { LabCapability } from '../lab/cluster.ts';
import { DefinitionError, issueLines, RunbookSchema, stepRunsItself, type Runbook } from './runbook.ts';

/** Recovery objectives, judged after the run (k6-style thresholds). */
export interface Objectives {
  /** Longest acceptable recovery time. */
  rtoMs: number;
  /** Longest acceptable loss window; 0 means no acknowledged write may be lost. */
  rpoMs: number;
}

/** Settings of the sample service that a scenario may change. */
export interface ServiceSettings {
  retries?: number;
  retryBaseMs?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  poolMax?: number;
}

/**
 * What a scenario's runbook relies on in the lab, checked right after the
 * lab is up and before the load starts: `wal-archive`, a WAL archiver that
 * is not failing (the runbook restores or recovers to a point in time from
 * the archive); `pooler`, PgBouncer in the service's path (the drill starts
 * it: service → fault proxy → PgBouncer → PostgreSQL); `lab-files`, the
 * server's data directory, archive and processes on this machine (base
 * backups, PITR, page repair); `replica`, a streaming replica. A target
 * that lacks one (see `LabCapability`) skips the scenario, saying why.
 */
export type ScenarioNeed = LabCapability;

/** A variant of a scenario: the same runbook against a different fault. */
export interface ScenarioVariant {
  description: string;
  fault: Fault;
}

/**
 * A disaster to rehearse: the fault, how long it stands before anyone acts,
 * the runbook that recovers from it, the objectives, and the load that
 * measures it. Cleanup (reverting the fault) always runs.
 */
export interface Scenario {
  /** Registry id, kebab-case, matching the file name in `scenarios/`. */
  id: string;
  title: string;
  description: string;
  tags: string[];
  /** The seed's row this scenario rehearses, e.g. "Database connection lost". */
  seedScenario: string;
  fault: Fault;
  /** Other faults the same runbook recovers from, by variant name. */
  variants?: Record<string, ScenarioVariant>;
  /** How long the fault stands before the runbook starts (time to respond). */
  holdMs: number;
  runbook: Runbook;
  objectives: Objectives;
  load: LoadProfile;
  /** Load before the fault, to check the steady state. */
  warmupMs: number;
  /** A request answered later than this counts as failed (a latency objective); default 1000 ms. */
  slowRequestMs?: number;
  /** How the sample service is configured for this scenario (defaults: 3 retries from 100 ms, 2 s statement timeout). */
  service?: ServiceSettings;
  /** Load kept up after the runbook finished, to observe recovery. */
  observeMs: number;
  /** What the runbook relies on in the lab; a drill refuses to start (harness error) when one is missing. */
  needs?: ScenarioNeed[];
  /**
   * The fault's own evidence is the proof that the drill rehearsed
   * something, even when the load noticed nothing (no failed request, no
   * lost write). Only for routine exercises with nothing to break (the
   * weekly restore test); without it such a drill is `ineffective`.
   */
  evidenceIsProof?: boolean;
  /**
   * What PgBouncer in the path promises for this scenario (the seed's
   * claim). With one, `drill <scenario> --pooler` measures the scenario
   * twice, without and with the pooler, and says whether the claim held.
   */
  poolerClaim?: string;
  /**
   * Prepares the lab before the load starts (a base backup, a replica, a
   * table to corrupt). Runs after the lab, proxy and service are up; what it
   * starts must be undone by the fault's `revert` or the lab's own cleanup.
   */
  setup?: (ctx: FaultContext) => Promise<void>;
  /**
   * Why this scenario cannot apply to a system under drill (e.g. it must
   * crash a service pgdrill does not run), or undefined when it applies.
   * A drill of a scenario that does not apply is `skipped` with this
   * reason, before anything starts; never passed.
   */
  notFor?: (system: SystemUnderDrill) => string | undefined;
}

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, dashes)');
const FaultSchema = z.object(
  {
    name: z.string().min(1),
    description: z.string().min(1),
    inject: z.function(),
    revert: z.function(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected a fault: an object with name, description, inject and revert' : undefined) },
);

const ScenarioSchema = z.object({
  id: kebab,
  title: z.string().min(1),
  description: z.string().min(1),
  tags: z.array(kebab),
  seedScenario: z.string().min(1),
  fault: FaultSchema,
  variants: z.record(kebab, z.object({ description: z.string().min(1), fault: FaultSchema })).optional(),
  holdMs: z.number().int().min(0).max(3_600_000),
  runbook: RunbookSchema,
  objectives: z.object({ rtoMs: z.number().int().positive(), rpoMs: z.number().int().min(0) }),
  load: z.object({
    rate: z.number().int().min(1).max(5000),
    writeRatio: z.number().min(0).max(1),
    maxInFlight: z.number().int().min(1).max(10_000).optional(),
    timeoutMs: z.number().int().min(100).max(120_000),
    maxDurationMs: z.number().int().min(1000).max(4 * 3_600_000),
  }),
  warmupMs: z.number().int().min(0).max(600_000),
  slowRequestMs: z.number().int().positive().optional(),
  service: z
    .object({
      retries: z.number().int().min(0).max(10).optional(),
      retryBaseMs: z.number().int().min(0).max(10_000).optional(),
      statementTimeoutMs: z.number().int().min(0).optional(),
      connectTimeoutMs: z.number().int().positive().optional(),
      poolMax: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
  observeMs: z.number().int().min(0).max(600_000),
  needs: z.array(z.enum(['wal-archive', 'pooler', 'lab-files', 'replica', 'base-backup'])).optional(),
  evidenceIsProof: z.boolean().optional(),
  poolerClaim: z.string().min(1).optional(),
  setup: z.function().optional(),
  notFor: z.function().optional(),
});

/**
 * What is wrong with a scenario definition, one line per problem (the field
 * path, then what was expected); empty when it is valid. Every step of its
 * runbook must be able to run unattended.
 */
export function scenarioProblems(scenario: unknown): string[] {
  const parsed = ScenarioSchema.safeParse(scenario);
  const problems = parsed.success ? [] : issueLines(parsed.error);
  const steps = (scenario as Partial<Scenario> | null | undefined)?.runbook?.steps;
  for (const step of Array.isArray(steps) ? steps : []) {
    if (step && !stepRunsItself(step)) problems.push(`runbook step "${step.id}" has only manual instructions, so a drill cannot run it unattended`);
  }
  return problems;
}

/**
 * Validates a scenario definition and returns it unchanged; an invalid one
 * throws a `DefinitionError` naming every problem, before anything is touched.
 */
export function defineScenario(scenario: Scenario): Scenario {
  const problems = scenarioProblems(scenario);
  if (problems.length > 0) throw new DefinitionError('scenario', scenario, problems);
  return scenario;
}
