import type { JournalRecord, SessionMode, SessionOutcome } from '../journal/records.ts';

/**
 * Where a step stands in a guided session: `pending` not started;
 * `running` pgdrill is acting or verifying; `manual` waiting for a person to
 * do it and press Enter; `failed` its action or verification failed (retry,
 * skip or quit); `interrupted` pgdrill stopped while it ran (it did not
 * finish; run it again); `done` and `skipped` are final.
 */
export type GuideStepStatus = 'pending' | 'running' | 'manual' | 'failed' | 'interrupted' | 'done' | 'skipped';

/** How many output lines of the current attempt the state keeps (the journal keeps all). */
export const OUTPUT_KEPT = 200;

/**
 * One step as the session knows it. `durationMs` is the time the step was
 * in hand: from its first start (or from when it began waiting for a person)
 * to its end, retries and manual work included, while pgdrill was running;
 * the time between a crash or quit and the resume is not counted.
 */
export interface GuideStepState {
  id: string;
  title: string;
  status: GuideStepStatus;
  attempts: number;
  durationMs: number;
  /** Incident-clock ms since which the step is in hand (undefined when paused or final). */
  activeSince?: number;
  firstStartedAt?: number;
  resolvedAt?: number;
  /** True once the step is known to need a person (no automatic action, or unavailable here). */
  manual: boolean;
  /** Why a person must do it. */
  manualReason?: string;
  /** Whether pgdrill or the operator completed it. */
  by?: 'automatic' | 'operator';
  /** Why it failed, was interrupted or was refused; or what its verification saw. */
  detail?: string;
  /** The latest verification result. */
  verification?: { ok: boolean; detail: string };
  skipReason?: string;
  /** The last `OUTPUT_KEPT` output lines of the current attempt. */
  output: string[];
  /** Output lines of the current attempt, all of them. */
  outputLines: number;
  interruptions: number;
}

/** A note the operator added to the timeline. */
export interface SessionNote {
  t: number;
  ts: string;
  text: string;
  stepId?: string;
}

/**
 * A guided session rebuilt from its journal records: the runbook's steps and
 * their states, notes, resumes, and whether it finished. `current` is the
 * index of the first step neither done nor skipped (`steps.length` once all
 * are). `finished` means every step is done or skipped with a reason;
 * `timeToRecoverMs` is then the incident clock when the last one was.
 */
export interface SessionState {
  sessionId: string;
  startedAt: string;
  runbook: { id: string; title: string };
  target: { kind: string; name: string; isLab: boolean };
  operator: string;
  host: string;
  mode: SessionMode;
  allowDestructive: boolean;
  steps: GuideStepState[];
  current: number;
  notes: SessionNote[];
  /** What steps handed to later steps (the journal's `memory` records, latest value per key). */
  memory: Record<string, unknown>;
  resumes: Array<{ t: number; ts: string; operator: string; host: string; repairedTail?: { bytes: number; text: string } }>;
  /** Set by a session-end record, cleared by a resume. */
  ended?: { outcome: SessionOutcome; t: number; ts: string; detail?: string };
  finished: boolean;
  timeToRecoverMs?: number;
  /** Incident clock and wall clock of the latest record. */
  lastT: number;
  lastTs: string;
  records: number;
}

function pause(step: GuideStepState, t: number): void {
  if (step.activeSince === undefined) return;
  step.durationMs += Math.max(0, t - step.activeSince);
  delete step.activeSince;
}

function activate(step: GuideStepState, t: number): void {
  step.activeSince ??= t;
}

const isFinal = (s: GuideStepState) => s.status === 'done' || s.status === 'skipped';

/** The state at a session-start record. */
export function startState(record: Extract<JournalRecord, { type: 'session-start' }>): SessionState {
  return {
    sessionId: record.sessionId,
    startedAt: record.startedAt,
    runbook: record.runbook,
    target: record.target,
    operator: record.operator,
    host: record.host,
    mode: record.mode,
    allowDestructive: record.allowDestructive,
    steps: record.steps.map((s) => ({ id: s.id, title: s.title, status: 'pending', attempts: 0, durationMs: 0, manual: false, output: [], outputLines: 0, interruptions: 0 })),
    current: 0,
    notes: [],
    memory: {},
    resumes: [],
    finished: false,
    lastT: record.t,
    lastTs: record.ts,
    records: 1,
  };
}

/**
 * The pure reducer of a session: the state after one more record. Returns a
 * new object (the step it touched copied), never mutating `state`, so a UI
 * can compare snapshots by reference.
 */
export function applyRecord(state: SessionState, record: JournalRecord): SessionState {
  if (record.type === 'session-start') return startState(record);
  const next: SessionState = { ...state, lastT: Math.max(state.lastT, record.t), lastTs: record.ts, records: state.records + 1 };
  const t = record.t;
  const edit = (stepId: string, change: (step: GuideStepState) => void): void => {
    const i = next.steps.findIndex((s) => s.id === stepId);
    if (i < 0) return; // a step this runbook does not have: ignored
    const step = { ...next.steps[i]!, output: next.steps[i]!.output };
    change(step);
    next.steps = next.steps.map((s, j) => (j === i ? step : s));
  };

  switch (record.type) {
    case 'session-resume': {
      delete next.ended;
      next.resumes = [...state.resumes, { t, ts: record.ts, operator: record.operator, host: record.host, ...(record.repairedTail ? { repairedTail: record.repairedTail } : {}) }];
      next.mode = record.mode;
      const current = next.steps[next.current];
      if (current && !isFinal(current) && (current.attempts > 0 || current.manual)) edit(current.id, (s) => activate(s, t));
      break;
    }
    case 'step-start':
      edit(record.stepId, (s) => {
        activate(s, t);
        s.status = 'running';
        s.attempts = Math.max(s.attempts + 1, record.attempt);
        s.firstStartedAt ??= t;
        s.output = [];
        s.outputLines = 0;
        delete s.verification;
        delete s.detail;
      });
      break;
    case 'step-output':
      edit(record.stepId, (s) => {
        s.output = [...s.output.slice(-(OUTPUT_KEPT - 1)), record.line];
        s.outputLines += 1;
      });
      break;
    case 'step-verify':
      edit(record.stepId, (s) => {
        s.verification = { ok: record.ok, detail: record.detail };
      });
      break;
    case 'step-manual':
      edit(record.stepId, (s) => {
        activate(s, t);
        s.status = 'manual';
        s.manual = true;
        s.manualReason = record.reason;
        s.firstStartedAt ??= t;
        delete s.detail;
      });
      break;
    case 'step-end':
      edit(record.stepId, (s) => {
        s.by = record.by;
        if (record.detail !== undefined) s.detail = record.detail;
        if (record.status === 'done') {
          pause(s, t);
          s.status = 'done';
          s.resolvedAt = t;
        } else {
          s.status = 'failed';
        }
      });
      break;
    case 'step-interrupted':
      edit(record.stepId, (s) => {
        pause(s, Math.min(record.activeUntil, t));
        s.interruptions += 1;
        s.detail = record.detail;
        // A step waiting for a person still waits for one; a step pgdrill was running did not finish.
        s.status = s.manual && s.status === 'manual' ? 'manual' : 'interrupted';
      });
      break;
    case 'step-skip':
      edit(record.stepId, (s) => {
        pause(s, t);
        s.status = 'skipped';
        s.skipReason = record.reason;
        s.resolvedAt = t;
      });
      break;
    case 'refusal':
      edit(record.stepId, (s) => {
        s.status = 'failed';
        s.detail = record.reason;
      });
      break;
    case 'confirmation':
      break;
    case 'note':
      next.notes = [...state.notes, { t, ts: record.ts, text: record.text, ...(record.stepId ? { stepId: record.stepId } : {}) }];
      break;
    case 'memory': {
      const memory = { ...state.memory };
      if ('value' in record && record.value !== undefined) memory[record.key] = record.value;
      else delete memory[record.key];
      next.memory = memory;
      break;
    }
    case 'session-end':
      next.steps = next.steps.map((s) => {
        if (s.activeSince === undefined && s.status !== 'running') return s;
        const copy = { ...s };
        pause(copy, t);
        if (copy.status === 'running') copy.status = 'interrupted';
        return copy;
      });
      next.ended = { outcome: record.outcome, t, ts: record.ts, ...(record.detail ? { detail: record.detail } : {}) };
      break;
  }

  const current = next.steps.findIndex((s) => !isFinal(s));
  next.current = current < 0 ? next.steps.length : current;
  if (!state.finished && next.current === next.steps.length) {
    next.finished = true;
    next.timeToRecoverMs = t;
  }
  return next;
}

/** Folds a journal's records (the first a session-start) into the session state. */
export function foldRecords(records: readonly JournalRecord[]): SessionState {
  const [first, ...rest] = records;
  if (!first || first.type !== 'session-start') throw new Error('a session journal starts with a session-start record');
  return rest.reduce(applyRecord, startState(first));
}

/**
 * The state as a report shows it when the journal ends without a
 * session-end (pgdrill was killed, or is still running): a step still in
 * hand counts until the last record, and a running one reads interrupted.
 */
export function closeAtJournalEnd(state: SessionState): SessionState {
  if (state.ended) return state;
  return {
    ...state,
    steps: state.steps.map((s) => {
      if (s.activeSince === undefined && s.status !== 'running') return s;
      const copy = { ...s };
      pause(copy, state.lastT);
      if (copy.status === 'running') {
        copy.status = 'interrupted';
        copy.detail = 'the journal ends while this step was running (pgdrill was killed, lost its terminal, or is still running)';
      }
      return copy;
    }),
  };
}
