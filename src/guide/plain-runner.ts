import { formatDuration } from '../report/format.ts';
import type { JournalRecord } from '../journal/records.ts';
import { formatClock } from './session-clock.ts';
import type { GuideController, SessionListener } from './session.ts';
import { commandText } from './step-text.ts';
import { summaryLines } from './summary.ts';

/**
 * The plain line reporter: every session record as a line of text (output
 * lines in full), for a session without a terminal. It listens to the same
 * session events as the Ink UI (subscribe it with `session.subscribe`, or
 * as `listener` of `openGuideSession` to see the session start too).
 */
export function lineReporter(session: { runbook: GuideController['runbook']; journalPath: string }, write: (line: string) => void): SessionListener {
  const stamp = (r: JournalRecord) => `[+${formatClock(r.t)}]`;
  const total = session.runbook.steps.length;
  const index = (id: string) => session.runbook.steps.findIndex((s) => s.id === id);
  return (state, r) => {
    switch (r.type) {
      case 'session-start':
      case 'session-resume': {
        const verb = r.type === 'session-start' ? 'started' : 'resumed';
        write(`${stamp(r)} session ${verb}: ${state.runbook.id} (${state.runbook.title}) on ${state.target.name}, operator ${r.operator}@${r.host}, journal ${session.journalPath}`);
        if (r.type === 'session-resume' && r.repairedTail) write(`${stamp(r)} the journal's last line was cut short (${r.repairedTail.bytes} bytes) and was removed; everything before it is intact`);
        break;
      }
      case 'step-start': {
        const i = index(r.stepId);
        const step = session.runbook.steps[i];
        write(`${stamp(r)} step ${i + 1}/${total} ${r.stepId}: ${step?.title ?? ''}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`);
        if (r.action === 'check') write(`${stamp(r)}   checking the work done by hand`);
        else if (step?.command) write(`${stamp(r)}   runs: ${commandText(step.command)}`);
        break;
      }
      case 'step-output':
        write(`${stamp(r)}   | ${r.line}`);
        break;
      case 'step-verify':
        write(`${stamp(r)}   ${r.ok ? 'verified' : 'not yet'}: ${r.detail}`);
        break;
      case 'step-manual':
        write(`${stamp(r)} step ${index(r.stepId) + 1}/${total} ${r.stepId} needs a person: ${r.reason}`);
        write(`${stamp(r)}   by hand: ${r.instructions}`);
        break;
      case 'step-end':
        write(`${stamp(r)}   ${r.status === 'done' ? '✓ done' : '✗ failed'} in ${formatDuration(r.durationMs)}${r.detail ? `: ${r.detail}` : ''}`);
        break;
      case 'step-interrupted':
        write(`${stamp(r)}   ⚠ ${r.stepId} interrupted: ${r.detail}`);
        break;
      case 'step-skip':
        write(`${stamp(r)} step ${index(r.stepId) + 1}/${total} ${r.stepId} skipped: ${r.reason}`);
        break;
      case 'confirmation':
        write(`${stamp(r)}   confirmation ${r.ok ? `given (${r.expected})` : `refused: "${r.typed}" is not ${r.expected}`}`);
        break;
      case 'refusal':
        write(`${stamp(r)}   refused: ${r.reason}`);
        break;
      case 'note':
        write(`${stamp(r)} note: ${r.text}`);
        break;
      case 'session-end':
        write(`${stamp(r)} session ${r.outcome === 'recovered' ? 'finished' : `${r.outcome} (the journal is kept; it can be resumed)`}`);
        if (r.outcome === 'recovered') for (const line of summaryLines(state)) write(line);
        break;
    }
  };
}

/** How a session without a terminal ended: its exit code, and why it stopped when a person is needed. */
export interface PlainOutcome {
  code: 0 | 1;
  /** What a person must do, naming the flag or command to continue. */
  stopReason?: string;
}

/**
 * Runs a session without a terminal (CI, a pipe): every automatic step in
 * order, never waiting for input. It stops, ending the session as `stopped`
 * (resumable), at the first step that needs a person: a manual step, a failed
 * one, a destructive one not confirmed with `--confirm <name>` or refused on
 * this target. Exit code 0 only when every step was done.
 */
export async function runPlain(session: GuideController, options: { confirm?: string; resumeCommand: string; signal?: AbortSignal }): Promise<PlainOutcome> {
  const stop = async (reason: string): Promise<PlainOutcome> => {
    await session.end('stopped', reason);
    return { code: 1, stopReason: reason };
  };
  for (;;) {
    // A signal ends the session (the step it interrupted is not run again).
    if (options.signal?.aborted) return { code: 1, stopReason: 'the session was interrupted.' };
    const action = session.nextAction();
    const view = session.state.steps[session.state.current];
    const label = view ? `Step ${session.state.current + 1} (${view.id})` : 'The session';
    switch (action) {
      case 'finished':
        return { code: 0 };
      case 'ended':
      case 'busy':
        return { code: 1, stopReason: `${label}: the session ended before it finished.` };
      case 'complete-manual': {
        const step = session.runbook.steps[session.state.current];
        return stop(`${label} needs a person: ${step?.manual ?? view?.manualReason ?? ''} Do it, then continue in a terminal (where Enter marks it done): ${options.resumeCommand}`);
      }
      case 'retry':
        return stop(`${label} failed: ${view?.detail ?? 'no detail'}. Fix the cause, then continue in a terminal to retry or skip it: ${options.resumeCommand}`);
      case 'refused': {
        const result = await session.run();
        return stop(`${label} was refused. ${result.message ?? ''} Pass --allow-destructive to permit it (with --confirm <target name>), or skip it in a terminal: ${options.resumeCommand}`);
      }
      case 'run': {
        const needed = session.confirmationFor();
        if (needed && options.confirm === undefined) {
          return stop(`${label} is destructive: it touches ${needed.touches}. Without a terminal nobody can type the confirmation: pass --confirm ${needed.expected} to confirm it, or continue in a terminal: ${options.resumeCommand}`);
        }
        const result = await session.run(needed ? options.confirm : undefined);
        if (!result.ok && needed) return stop(`${label} is destructive and ${result.message ?? 'was not confirmed.'} Pass --confirm ${needed.expected}.`);
        break;
      }
    }
  }
}
