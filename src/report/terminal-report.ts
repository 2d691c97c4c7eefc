import Table from 'cli-table3';
import type { DrillResult } from '../core/result.ts';
import { redact } from '../util/redact.ts';
import { formatDuration, formatLoad, formatObjective } from './format.ts';

const VERDICT: Record<DrillResult['status'], string> = {
  passed: 'PASSED',
  breached: 'BREACHED',
  ineffective: 'INEFFECTIVE (the fault had no effect; nothing was rehearsed)',
  error: 'ERROR (harness failed)',
  skipped: 'SKIPPED (the scenario does not apply to this system; nothing ran)',
};

/**
 * Renders a drill result as the terminal table: objectives beside
 * measurements, the verdict, the runbook steps and the reasons. Plain text
 * (box drawing, no colour codes) so it reads the same in a log file.
 */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

export function renderDrillResult(result: DrillResult): string {
  const header = [
    `${result.scenario}${result.variant ? ` (variant ${result.variant})` : ''}: ${result.title}`,
    `fault: ${result.fault.name}, ${result.fault.description}; held ${formatDuration(result.fault.holdMs)} before the runbook`,
  ];
  const summary = new Table({ head: ['measure', 'objective', 'measured'], chars: COMPACT, style: { head: [], border: [] } });
  summary.push(
    ['RTO', formatObjective(result.objectives.rtoMs), formatDuration(result.rtoMs)],
    ['time to detect', '', formatDuration(result.ttdMs)],
    ['lost acknowledged writes', result.objectives.rpoMs === 0 ? '0' : '', `${result.lostWrites} of ${result.ackedWrites}`],
    ['RPO (loss window)', formatObjective(result.objectives.rpoMs), formatDuration(result.rpoMs)],
    ['unacknowledged but present', '', String(result.unackedPresentWrites)],
    ['requests sent / failed', '', `${result.requests} / ${result.failedRequests}`],
    ['load sent', '', formatLoad(result.load)],
  );
  const steps = new Table({ head: ['runbook step', 'status', 'duration'], chars: COMPACT, style: { head: [], border: [] } });
  for (const step of result.steps) steps.push([step.id, step.status, step.status === 'skipped' ? '' : formatDuration(step.durationMs)]);
  const lines = [...header, summary.toString(), steps.toString(), `verdict: ${VERDICT[result.status]}`];
  if (result.reasons.length > 0) lines.push(...result.reasons.map((r) => `- ${r}`));
  if (result.notes.length) lines.push(...result.notes.map((n) => `note: ${n}`));
  if (result.cleanupFailures.length > 0) lines.push(...result.cleanupFailures.map((c) => `cleanup failed: ${c}`));
  return redact(lines.join('\n'));
}
