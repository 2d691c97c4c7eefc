import type { DrillStatus, StepResult } from '../core/result.ts';
import type { Objectives } from '../core/scenario.ts';
import type { DataLossMeasure } from '../measure/data-loss.ts';
import type { RecoveryMeasure } from '../measure/recovery.ts';
import { formatDuration, formatObjective } from '../report/format.ts';

/** A drill's status and the reasons behind it. */
export interface Verdict {
  status: DrillStatus;
  reasons: string[];
}

/** The fault as the verdict needs it: its name, what it reported doing, and whether that report alone proves it took effect. */
export interface JudgedFault {
  /** How to name the fault in a reason, e.g. `The fault "lock-blocker"`. */
  name: string;
  /** What the fault reported doing (e.g. "backend 123 holds ACCESS EXCLUSIVE on payments"). */
  evidence?: string;
  /**
   * The scenario declares that the evidence alone is its proof (a routine
   * exercise with nothing to break, such as the weekly restore test).
   */
  evidenceIsProof?: boolean;
}

/**
 * Judges measurements against objectives, after the run (k6-style). A
 * fault that nothing noticed (no request failed after it, no acknowledged
 * write was lost) makes the drill `ineffective`, never passed, even when
 * the fault reported evidence of what it did; only a scenario that declares
 * its evidence is the proof (`evidenceIsProof`) is judged on. Otherwise it
 * is breached when the service never recovered while observed, when RTO
 * exceeds its objective, when acknowledged writes were lost beyond the RPO
 * objective (any loss at all when the objective is 0), or when a runbook
 * step failed.
 */
export function judge(objectives: Objectives, recovery: RecoveryMeasure, loss: DataLossMeasure, steps: readonly StepResult[], fault: JudgedFault = { name: 'the fault' }): Verdict {
  const unnoticed = recovery.failuresAfterFault === 0 && loss.lostWrites === 0;
  if (unnoticed && !(fault.evidenceIsProof && fault.evidence)) {
    const said = fault.evidence ? ` It reported "${fault.evidence}", but the service did not notice.` : '';
    return {
      status: 'ineffective',
      reasons: [
        `${fault.name} did not take effect: no request failed after it was injected and no acknowledged write was lost, so recovery was not rehearsed.${said} Check that the fault reaches the service's path (proxy, server, service) and that the load runs through it.`,
      ],
    };
  }
  const reasons: string[] = [];
  if (recovery.rtoMs === null) reasons.push(`the service did not recover while observed (objective RTO ${formatObjective(objectives.rtoMs)})`);
  else if (recovery.rtoMs > objectives.rtoMs) reasons.push(`RTO ${formatDuration(recovery.rtoMs)} exceeds the objective of ${formatObjective(objectives.rtoMs)}`);
  if (loss.lostWrites > 0 && (objectives.rpoMs === 0 || loss.rpoMs > objectives.rpoMs)) {
    reasons.push(`${loss.lostWrites} acknowledged write(s) lost over ${formatDuration(loss.rpoMs)} (objective RPO ${objectives.rpoMs === 0 ? '0: no acknowledged write may be lost' : formatObjective(objectives.rpoMs)})`);
  }
  for (const step of steps) {
    if (step.status === 'failed') reasons.push(`runbook step "${step.id}" failed: ${step.detail ?? 'no detail'}`);
  }
  return { status: reasons.length > 0 ? 'breached' : 'passed', reasons };
}
