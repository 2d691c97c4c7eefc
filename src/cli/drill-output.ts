import type { DrillResult } from '../core/result.ts';
import { renderDrillResult } from '../report/terminal-report.ts';
import type { RunbookListener } from '../engine/events.ts';
import { formatDuration } from '../report/format.ts';
import { say, warn } from './output.ts';

/** Prints runbook events as indented progress lines on stderr. */
export const printStepEvents: RunbookListener = (event) => {
  if (event.type === 'step-start') warn(`  ▸ ${event.stepId}: ${event.title}`);
  if (event.type === 'step-output') warn(`      ${event.line}`);
  if (event.type === 'step-end') warn(`  ${event.status === 'done' ? '✓' : '✗'} ${event.stepId} ${event.status} in ${formatDuration(event.durationMs)}${event.detail && event.status !== 'done' ? `: ${event.detail}` : ''}`);
};

/** Prints one drill's result: the table, or for a harness failure what went wrong. */
export function printDrillResult(result: DrillResult): void {
  if (result.status === 'error') {
    // A harness failure is not a measurement: say what went wrong, not a table of numbers.
    warn(`pgdrill: drill ${result.scenario} could not run: ${result.reasons.join('\n')}`);
    say(`${result.scenario}: ERROR (harness failed); no objective was judged.`);
    for (const failure of result.cleanupFailures) warn(`cleanup failed: ${failure}`);
  } else {
    say(renderDrillResult(result));
  }
}
