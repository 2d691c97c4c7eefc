import type { RunbookListener } from '../engine/events.ts';
import { formatDuration } from '../report/format.ts';
import { warn } from './output.ts';

/** Prints runbook events as indented progress lines on stderr. */
export const printStepEvents: RunbookListener = (event) => {
  if (event.type === 'step-start') warn(`  ▸ ${event.stepId}: ${event.title}`);
  if (event.type === 'step-output') warn(`      ${event.line}`);
  if (event.type === 'step-end') warn(`  ${event.status === 'done' ? '✓' : '✗'} ${event.stepId} ${event.status} in ${formatDuration(event.durationMs)}${event.detail && event.status !== 'done' ? `: ${event.detail}` : ''}`);
};
