import type { RunbookListener } from './events.ts';
import type { StepResult } from '../core/result.ts';
import type { Scenario } from '../core/scenario.ts';
import type { LoadRun } from '../load/load-generator.ts';
import type { DrillClock } from '../measure/clock.ts';
import type { TimelineEvent } from '../measure/timeline.ts';
import type { Lab } from '../lab/lab.ts';
import type { PgCluster } from '../lab/cluster.ts';
import { runRunbookUnattended } from './runbook-runner.ts';
import type { StepContextHandle } from './step-context.ts';

/** What a recovery driver gets once the fault stands. */
export interface RecoveryContext {
  scenario: Scenario;
  /** The cluster the service uses (embedded lab or container). */
  cluster: PgCluster;
  /** The embedded lab, when the drill runs on it. */
  lab?: Lab;
  /** The step contexts of the drill: the real fault proxy, service and lab. */
  contexts: StepContextHandle;
  /** The drill's clock; `t0Ms` is the fault's injection on it. */
  clock: DrillClock;
  t0Ms: number;
  /** The fault's own evidence (what it did), when it gave any. */
  faultDetail: string | undefined;
  /** The load, running: its live timeline. */
  load: LoadRun;
  /** Aborted when the drill is interrupted (signal); the driver must stop its steps then. */
  signal: AbortSignal;
  /** Adds a moment to the drill's timeline (chart, reports). */
  mark(kind: TimelineEvent['kind'], label: string): void;
}

/**
 * Who works the runbook once the fault stands. A drill's default is the
 * unattended runner (pgdrill runs every step); a game day hands the runbook
 * to a person through a guided session. The drill engine does everything
 * else the same way for both: lab, proxy, service, load, fault, observation
 * window, measurements, verdict.
 */
export interface RecoveryDriver {
  /** The load runs and the steady state held, before the fault (a live panel can start from here). */
  loadStarted?(load: LoadRun, clock: DrillClock): void;
  /** Works the runbook; resolves with one result per step when it is over (every step done, skipped or ended). */
  recover(ctx: RecoveryContext): Promise<StepResult[]>;
}

/** pgdrill runs every step itself, in order (`pgdrill drill`, `pgdrill ci`). */
export function unattendedDriver(onEvent?: RunbookListener): RecoveryDriver {
  return {
    recover: (ctx) =>
      runRunbookUnattended(ctx.scenario.runbook, ctx.contexts, {
        clock: ctx.clock,
        signal: ctx.signal,
        onEvent: (event) => {
          if (event.type === 'step-start') ctx.mark('step-start', event.stepId);
          if (event.type === 'step-end') ctx.mark('step-end', `${event.stepId}: ${event.status}`);
          onEvent?.(event);
        },
      }),
  };
}
