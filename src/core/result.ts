import type { Objectives } from './scenario.ts';

/** How one runbook step ended. */
export type StepStatus = 'done' | 'failed' | 'skipped' | 'interrupted';

/** One runbook step as a drill recorded it. */
export interface StepResult {
  id: string;
  title: string;
  status: StepStatus;
  durationMs: number;
  /** Drill-clock ms at which the step started. */
  startedAtMs: number;
  /** Why it failed, or what the verification last saw. */
  detail?: string;
  /** Who completed it: pgdrill (its action or check) or the operator (by hand, or skipped); game days only. */
  by?: 'pgdrill' | 'operator';
}

/**
 * A drill's verdict: `passed` when every objective held (exit 0), `breached`
 * when one did not (exit 2), `ineffective` when the fault had no visible
 * effect so recovery was not rehearsed at all (exit 1: never a pass), `error`
 * when the harness itself failed (exit 1) — then the measurements are
 * whatever could be taken and must not be read as a pass. `skipped` when
 * the scenario cannot apply to the system under drill (the reason says
 * why): nothing ran; never a pass (exit 1 alone; a suite counts it apart).
 */
export type DrillStatus = 'passed' | 'breached' | 'ineffective' | 'error' | 'skipped';

/**
 * The result of one drill, the shape `--json` writes. Durations are
 * milliseconds; `rtoMs` is null when the service never recovered while
 * observed; `ttdMs` is null when no request failed.
 */
export interface DrillResult {
  scenario: string;
  /** The scenario's title, for people. */
  title: string;
  variant: string | null;
  status: DrillStatus;
  /** One line per breached objective, or the harness error. */
  reasons: string[];
  rtoMs: number | null;
  ttdMs: number | null;
  /** The loss window of acknowledged writes (0 when none was lost). */
  rpoMs: number | null;
  ackedWrites: number;
  lostWrites: number;
  /** Writes never acknowledged but present after recovery: not losses. */
  unackedPresentWrites: number;
  requests: number;
  failedRequests: number;
  objectives: Objectives;
  /** The fault and how long it stood before the runbook started. */
  fault: {
    name: string;
    description: string;
    holdMs: number;
    evidence?: string;
    /** A game day's surprise: the random delay chosen in the --surprise window (ms), and how long the load ran before the fault (ms). */
    surpriseMs?: number;
    steadyMs?: number;
  };
  steps: StepResult[];
  startedAt: string;
  finishedAt: string;
  /** Drill-clock ms of the fault injection (t0), for timelines. */
  t0Ms: number | null;
  /**
   * How the load kept its arrival rate (requests/s): `sentRate` falls short
   * of `targetRate` only when sends were skipped because `maxInFlight`
   * reached the cap (`inFlightCapHit`). Null when no load ran.
   */
  load: { targetRate: number; sentRate: number; maxInFlight: number; inFlightCapHit: boolean } | null;
  /** What the harness could not clean up, if anything. */
  cleanupFailures: string[];
  /**
   * Plain-words notes on how to read the measurements, e.g. that a drill
   * without a fault measured, as its RTO, how long the procedure itself
   * disturbed the service.
   */
  notes: string[];
  /** `gameday` when a person worked the runbook (`pgdrill gameday`); absent for unattended drills. */
  mode?: 'gameday';
  /** Who worked the runbook on a game day. */
  operator?: string;
  /** Game day: time to acknowledge, from the alert to the operator's first action (ms); null when they never acted. */
  ttaMs?: number | null;
  /** Game day: when the alert appeared, drill-clock ms; null when it never did. */
  alertAtMs?: number | null;
}
