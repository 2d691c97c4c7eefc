import { formatDuration } from '../report/format.ts';
import { formatClock } from './session-clock.ts';
import type { GuideStepState, SessionState } from './session-state.ts';

/** A step's status as one symbol, for plain lines and the UI. */
export const STATUS_MARK: Record<GuideStepState['status'], string> = {
  pending: '·',
  running: '▸',
  manual: '✋',
  failed: '✗',
  interrupted: '⚠',
  done: '✓',
  skipped: '↷',
};

/** A step's duration as the summary shows it (live while the step is in hand). */
export function stepDuration(step: GuideStepState, now?: number): number {
  return step.durationMs + (step.activeSince !== undefined && now !== undefined ? Math.max(0, now - step.activeSince) : 0);
}

/** The one-line verdict of a session. */
export function outcomeLine(state: SessionState): string {
  if (state.finished) {
    const skipped = state.steps.filter((s) => s.status === 'skipped').length;
    return `Recovered: every step done${skipped ? ` or skipped (${skipped} skipped)` : ''}. Time to recover ${formatDuration(state.timeToRecoverMs ?? state.lastT)} (from the start of the session).`;
  }
  const left = state.steps.length - state.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length;
  const at = state.steps[state.current];
  const how = state.ended ? { quit: 'quit', stopped: 'stopped', interrupted: 'interrupted', recovered: 'ended' }[state.ended.outcome] : 'in progress';
  return `Not finished (${how}): ${left} of ${state.steps.length} steps left${at ? `, at step ${state.current + 1} ${at.id} (${at.status})` : ''}.`;
}

/**
 * The end-of-session summary as plain lines: the verdict and time to
 * recover, each step with its status and duration, skipped steps with their
 * reasons, and the notes.
 */
export function summaryLines(state: SessionState): string[] {
  const lines = [outcomeLine(state)];
  const width = Math.max(...state.steps.map((s) => s.id.length));
  for (const [i, step] of state.steps.entries()) {
    const by = step.status === 'done' && step.by === 'operator' ? ' (by the operator)' : '';
    lines.push(`  ${STATUS_MARK[step.status]} ${i + 1}. ${step.id.padEnd(width)}  ${step.status.padEnd(11)} ${step.attempts || step.manual ? formatDuration(stepDuration(step)) : '—'}${by}`);
  }
  const skipped = state.steps.filter((s) => s.status === 'skipped');
  if (skipped.length) {
    lines.push('Skipped:');
    for (const s of skipped) lines.push(`  ${s.id}: ${s.skipReason ?? ''}`);
  }
  if (state.notes.length) {
    lines.push('Notes:');
    for (const n of state.notes) lines.push(`  +${formatClock(n.t)} ${n.text}`);
  }
  return lines;
}
