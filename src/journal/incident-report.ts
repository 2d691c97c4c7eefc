import { closeAtJournalEnd, foldRecords, type GuideStepState } from '../guide/session-state.ts';
import { formatClock } from '../guide/session-clock.ts';
import { formatDuration } from '../report/format.ts';
import { redact } from '../util/redact.ts';
import { describeTruncatedTail, type JournalRead } from './journal-reader.ts';
import type { JournalRecord } from './records.ts';

/** Output lines of one step a report quotes; the rest stays in the journal. */
const OUTPUT_QUOTED = 30;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const wallTime = (ts: string) => ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function timelineEvent(r: JournalRecord, titles: Map<string, string>): string | undefined {
  const step = (id: string) => `**${id}**`;
  switch (r.type) {
    case 'session-start': return `Session started by ${r.operator} on ${r.host}: runbook \`${r.runbook.id}\`, target ${r.target.name}`;
    case 'session-resume': return `Session resumed by ${r.operator} on ${r.host}${r.repairedTail ? ` (a cut-short last journal line of ${r.repairedTail.bytes} bytes was removed)` : ''}`;
    case 'step-start': return `${step(r.stepId)} ${r.action === 'check' ? 'checked after the work by hand' : 'started'}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}: ${titles.get(r.stepId) ?? ''}`;
    case 'step-verify': return r.ok ? `${step(r.stepId)} verified: ${r.detail}` : `${step(r.stepId)} not yet verified: ${r.detail}`;
    case 'step-manual': return `${step(r.stepId)} handed to the operator: ${r.reason}`;
    case 'step-end': return `${step(r.stepId)} ${r.status === 'done' ? (r.by === 'operator' ? 'done by the operator' : 'done') : 'failed'} (${formatDuration(r.durationMs)})${r.detail && r.status === 'failed' ? `: ${r.detail}` : ''}`;
    case 'step-interrupted': return `${step(r.stepId)} interrupted: ${r.detail}`;
    case 'step-skip': return `${step(r.stepId)} skipped: ${r.reason}`;
    case 'confirmation': return r.ok ? `${step(r.stepId)} destructive action confirmed by typing ${r.expected}` : `${step(r.stepId)} confirmation refused ("${r.typed}" is not ${r.expected})`;
    case 'refusal': return `${step(r.stepId)} refused: ${r.reason}`;
    case 'note': return `Note${r.stepId ? ` (during ${r.stepId})` : ''}: ${r.text}`;
    case 'session-end': return `Session ended: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`;
    case 'gameday': return `${{ fault: '**Fault injected**', alert: '**Alert**', 'load-interrupted': '**Load interrupted**', result: '**Game day measured**' }[r.event]}: ${r.detail}`;
    default: return undefined;
  }
}

function stepRemark(s: GuideStepState): string {
  if (s.status === 'skipped') return `skipped: ${s.skipReason ?? ''}`;
  const parts: string[] = [];
  if (s.status === 'done' && s.by === 'operator') parts.push('done by the operator');
  if (s.detail) parts.push(s.detail);
  else if (s.verification) parts.push(s.verification.detail);
  if (s.interruptions) parts.push(`interrupted ${s.interruptions === 1 ? 'once' : `${s.interruptions} times`}`);
  return parts.join('; ');
}

/**
 * The incident timeline of a guided session as Markdown, ready to paste into
 * a postmortem: who, where, when, the outcome and time to recover; every
 * step once, in runbook order, with its status, duration and attempts;
 * skipped steps with their reasons; notes; the timeline of every event
 * (output lines are quoted per step, at most `OUTPUT_QUOTED` each); and what
 * was wrong with the journal, if anything. Secrets are redacted.
 */
export function renderIncidentReport(read: JournalRead): string {
  const records = read.records;
  const state = closeAtJournalEnd(foldRecords(records));
  const titles = new Map(state.steps.map((s) => [s.id, s.title]));
  const out: string[] = [];
  out.push(`# Incident timeline: ${state.runbook.title}`, '');
  const outcome = state.finished
    ? `recovered: every step done or skipped with a reason`
    : state.ended
      ? `not finished: session ${state.ended.outcome}${state.ended.detail ? ` (${state.ended.detail})` : ''}`
      : 'not finished: the journal ends without a session end (pgdrill was killed or is still running)';
  const finishedAt = state.finished ? state.steps.reduce((m, s) => Math.max(m, s.resolvedAt ?? 0), 0) : undefined;
  out.push(
    '| | |',
    '|---|---|',
    `| runbook | \`${state.runbook.id}\`: ${cell(state.runbook.title)} |`,
    `| target | ${state.target.name} (${state.target.kind}) |`,
    `| operator | ${[...new Set([state.operator, ...state.resumes.map((r) => r.operator)])].join(', ')} on ${[...new Set([state.host, ...state.resumes.map((r) => r.host)])].join(', ')} |`,
    `| session started | ${wallTime(state.startedAt)} |`,
    `| last record | ${wallTime(state.lastTs)} (+${formatClock(state.lastT)}) |`,
    `| outcome | ${cell(outcome)} |`,
    `| time to recover | ${state.finished ? `${formatDuration(state.timeToRecoverMs)} (+${formatClock(finishedAt ?? 0)}), from the start of the session` : '— (not recovered in this session)'} |`,
    `| resumed | ${state.resumes.length === 0 ? 'no' : `${state.resumes.length} time${state.resumes.length > 1 ? 's' : ''}`} |`,
    '',
  );

  out.push('## Steps', '', '| # | step | status | duration | attempts | remarks |', '|---|---|---|---|---|---|');
  for (const [i, s] of state.steps.entries()) {
    const duration = s.attempts > 0 || s.manual || s.durationMs > 0 ? formatDuration(s.durationMs) : '—';
    out.push(`| ${i + 1} | \`${s.id}\`: ${cell(s.title)} | ${s.status} | ${duration} | ${s.attempts} | ${cell(stepRemark(s))} |`);
  }
  out.push('');

  const skipped = state.steps.filter((s) => s.status === 'skipped');
  out.push('## Skipped steps', '');
  if (skipped.length === 0) out.push('None.');
  for (const s of skipped) out.push(`- \`${s.id}\`: ${s.skipReason ?? ''}`);
  out.push('');

  out.push('## Notes', '');
  if (state.notes.length === 0) out.push('None.');
  for (const n of state.notes) out.push(`- +${formatClock(n.t)} (${wallTime(n.ts)})${n.stepId ? ` during \`${n.stepId}\`` : ''}: ${n.text}`);
  out.push('');

  out.push('## Timeline', '', '| clock | time (UTC) | event |', '|---|---|---|');
  for (const r of records) {
    const event = timelineEvent(r, titles);
    if (event) out.push(`| +${formatClock(r.t)} | ${wallTime(r.ts)} | ${cell(event)} |`);
  }
  out.push('');

  const outputs = new Map<string, string[]>();
  for (const r of records) if (r.type === 'step-output') outputs.set(r.stepId, [...(outputs.get(r.stepId) ?? []), r.line]);
  if (outputs.size > 0) {
    out.push('## Step output', '');
    for (const s of state.steps) {
      const lines = outputs.get(s.id);
      if (!lines) continue;
      out.push(`### ${s.id}`, '', '```');
      out.push(...lines.slice(0, OUTPUT_QUOTED).map((l) => l.replace(/```/g, "'''")));
      if (lines.length > OUTPUT_QUOTED) out.push(`... ${lines.length - OUTPUT_QUOTED} more lines in the journal`);
      out.push('```', '');
    }
  }

  out.push('## Journal', '', `\`${read.path}\`: ${records.length} records.`);
  if (read.truncatedTail) out.push('', `Warning: ${describeTruncatedTail(read.truncatedTail)}`);
  for (const r of state.resumes) if (r.repairedTail) out.push('', `A resume at ${wallTime(r.ts)} removed a cut-short last line (${r.repairedTail.bytes} bytes) before appending.`);
  out.push('');
  return redact(out.join('\n'));
}
