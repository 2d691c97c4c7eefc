import { asGameDayRecordData, type GameDayRecordData } from '../gameday/gameday-record.ts';
import { renderChartSvg } from '../report/html-report.ts';
import { closeAtJournalEnd, foldRecords, type GuideStepState } from '../guide/session-state.ts';
import { formatClock } from '../guide/session-clock.ts';
import { formatDuration, formatObjective } from '../report/format.ts';
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

  out.push(...gameDaySection(records));

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
  const rows: Array<{ t: number; ts: string; event: string }> = [];
  for (const r of records) {
    const event = timelineEvent(r, titles);
    if (event) rows.push({ t: r.t, ts: wallTime(r.ts), event });
  }
  rows.push(...gameDayMoments(records));
  rows.sort((a, b) => a.t - b.t);
  for (const row of rows) out.push(`| +${formatClock(row.t)} | ${row.ts} | ${cell(row.event)} |`);
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

/** A game day's measured result, from its journal's `result` record (undefined for a guided session). */
function gameDayData(records: readonly JournalRecord[]): GameDayRecordData | undefined {
  const result = [...records].reverse().find((r) => r.type === 'gameday' && r.event === 'result');
  return result && result.type === 'gameday' ? asGameDayRecordData(result.data) : undefined;
}

/**
 * The moments a game day measured but did not journal as records of their
 * own: the operator's acknowledgement and the service's recovery, on the
 * journal's clock (which starts at the fault).
 */
function gameDayMoments(records: readonly JournalRecord[]): Array<{ t: number; ts: string; event: string }> {
  const data = gameDayData(records);
  const start = records[0];
  if (!data || !start || start.type !== 'session-start') return [];
  const t0 = data.result.t0Ms ?? 0;
  const startWall = Date.parse(start.ts) - start.t;
  const at = (t: number) => ({ t, ts: wallTime(new Date(startWall + t).toISOString()) });
  const moments: Array<{ t: number; ts: string; event: string }> = [];
  if (data.result.alertAtMs != null && data.result.ttaMs != null) moments.push({ ...at(data.result.alertAtMs - t0 + data.result.ttaMs), event: `**Acknowledged**: the operator's first action, ${formatDuration(data.result.ttaMs)} after the alert` });
  if (data.result.rtoMs !== null) moments.push({ ...at(data.result.rtoMs), event: `**Recovered**: the service answers again (RTO ${formatDuration(data.result.rtoMs)})` });
  return moments;
}

/** The game-day postmortem: measurements against objectives, and the service over the game day as a chart. */
function gameDaySection(records: readonly JournalRecord[]): string[] {
  const data = gameDayData(records);
  if (!data) return [];
  const r = data.result;
  const ttd = r.alertAtMs != null && r.t0Ms !== null ? r.alertAtMs - r.t0Ms : null;
  const out = [
    `## Game day: ${r.scenario}${r.variant ? ` (${r.variant})` : ''}, ${r.status.toUpperCase()}`,
    '',
    '| measure | objective | measured |',
    '|---|---|---|',
    `| RTO (fault to recovery, the person's time included) | ${formatObjective(r.objectives.rtoMs)} | ${r.rtoMs === null ? 'not recovered while observed' : formatDuration(r.rtoMs)} |`,
    `| time to detect (fault to alert) | | ${ttd === null ? 'no alert' : formatDuration(ttd)} |`,
    `| time to acknowledge (alert to first action) | | ${r.ttaMs == null ? '—' : formatDuration(r.ttaMs)} |`,
    `| lost acknowledged writes | 0 | ${r.lostWrites} of ${r.ackedWrites} |`,
    `| RPO (loss window) | ${formatObjective(r.objectives.rpoMs)} | ${formatDuration(r.rpoMs)} |`,
    `| requests sent / failed | | ${r.requests} / ${r.failedRequests} |`,
    '',
  ];
  if (r.reasons.length) out.push(...r.reasons.map((reason) => `- ${reason}`), '');
  if (r.notes.length) out.push(...r.notes.map((note) => `- Note: ${note}`), '');
  out.push('| step | status | by | duration |', '|---|---|---|---|', ...r.steps.map((s) => `| \`${s.id}\` | ${s.status} | ${s.by ?? 'pgdrill'} | ${formatDuration(s.durationMs)} |`), '');
  if (data.chart) {
    out.push('### The service during the game day', '', 'Answers and failures per second, p50/p99 latency; the fault, each step and the recovery marked (time since the load started).', '');
    out.push(renderChartSvg(data.chart.bins, data.chart.binSeconds, data.chart.events, data.chart.originMs).replace(/\n/g, ' '), '');
  }
  return out;
}
