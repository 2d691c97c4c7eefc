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

/**
 * Judges measurements against objectives, after the run (k6-style). A
 * fault that changed nothing the load could see makes the drill
 * `ineffective`, never passed. Otherwise it is breached when the service never recovered while observed, when RTO
 * exceeds its objective, when acknowledged writes were lost beyond the RPO
 * objective (any loss at all when the objective is 0), or when a runbook
 * step failed.
 */
export function judge(objectives: Objectives, recovery: RecoveryMeasure, loss: DataLossMeasure, steps: readonly StepResult[], faultName = 'the fault', evidence?: string): Verdict {
  if (recovery.failuresAfterFault === 0 && loss.lostWrites === 0 && !evidence) {
    return {
      status: 'ineffective',
      reasons: [`${faultName} did not take effect: no request failed after it was injected and no acknowledged write was lost, so recovery was not rehearsed. Check that the fault reaches the service's path (proxy, server, service) and that the load runs through it.`],
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
