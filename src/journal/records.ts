/**
 * The journal's schema: one JSON object per line, in the order things
 * happened. A guided session writes these records and nothing else; the
 * session state, the resume and the incident report are all rebuilt from
 * them.
 */

/** The format tag written in every session-start record. */
export const JOURNAL_FORMAT = 'pgdrill-journal/1';

/** How the session talks to its operator: the Ink UI in a terminal, or plain lines without one. */
export type SessionMode = 'interactive' | 'plain';

/**
 * How a session ended: `recovered` every step done or skipped with a reason;
 * `quit` the operator quit (resumable); `stopped` a session without a
 * terminal reached a step that needs a person or failed (resumable);
 * `interrupted` by a signal (SIGINT, SIGTERM, SIGHUP) or Ctrl-C (resumable).
 */
export type SessionOutcome = 'recovered' | 'quit' | 'stopped' | 'interrupted';

/** Who runs a session, from where. */
export interface SessionIdentity {
  operator: string;
  host: string;
  pid: number;
  mode: SessionMode;
}

/**
 * What a session records, before the journal stamps it. Step records name
 * the step by id; times inside a record (`activeUntil`) are incident-clock
 * milliseconds like `t`.
 */
export type JournalEntry =
  | ({
      type: 'session-start';
      format: typeof JOURNAL_FORMAT;
      sessionId: string;
      /** Wall-clock start of the session: the zero of the incident clock. */
      startedAt: string;
      runbook: { id: string; title: string };
      steps: Array<{ id: string; title: string }>;
      /** The target by name only: never a connection string. */
      target: { kind: string; name: string; isLab: boolean };
      allowDestructive: boolean;
    } & SessionIdentity)
  | ({
      type: 'session-resume';
      /** A cut-short last line found when the journal was reopened, removed before appending. */
      repairedTail?: { bytes: number; text: string };
    } & SessionIdentity)
  /** An attempt begins: `run` the step's action (and verification), `check` only its verification after a person did the work. */
  | { type: 'step-start'; stepId: string; attempt: number; action: 'run' | 'check' }
  | { type: 'step-output'; stepId: string; line: string }
  /** A verification result: every change of a failing one while it is polled, and the final one. */
  | { type: 'step-verify'; stepId: string; ok: boolean; detail: string }
  /** The step waits for a person: it has no automatic action, or its action is unavailable on this target. */
  | { type: 'step-manual'; stepId: string; reason: string; instructions: string }
  /** An attempt ended. `durationMs` is that attempt alone; `by` says whether pgdrill or the operator completed it. */
  | { type: 'step-end'; stepId: string; status: 'done' | 'failed'; durationMs: number; by: 'automatic' | 'operator'; detail?: string }
  /** The step did not finish: pgdrill stopped (quit, signal, crash) while it ran or waited. `activeUntil` is the last moment it was known active. */
  | { type: 'step-interrupted'; stepId: string; detail: string; activeUntil: number }
  | { type: 'step-skip'; stepId: string; reason: string }
  /** The typed confirmation a destructive step asked for. */
  | { type: 'confirmation'; stepId: string; expected: string; typed: string; ok: boolean }
  /** A destructive step refused on a target other than the lab without --allow-destructive. */
  | { type: 'refusal'; stepId: string; reason: string }
  | { type: 'note'; text: string; stepId?: string }
  /** What a step handed on to later steps (`SessionMemory.set`), or, without `value`, took back (`clear`). JSON; never a secret. */
  | { type: 'memory'; stepId: string; key: string; value?: unknown }
  | { type: 'session-end'; outcome: SessionOutcome; detail?: string }
  /**
   * A game day's own moments, on the incident clock: the fault injected
   * (`fault`), the alert a monitoring system would raise (`alert`), the
   * load interrupted because pgdrill stopped (`load-interrupted`), and the
   * final measurements (`result`, with the drill result in `data`).
   */
  | { type: 'gameday'; event: 'fault' | 'alert' | 'load-interrupted' | 'result'; detail: string; data?: unknown };

/**
 * One line of the journal: an entry stamped with its sequence number (1 for
 * the first line, one more per line, across resumes), its wall-clock time
 * and `t`, the incident clock: milliseconds since the session started
 * (monotonic within one process, wall-clock across a resume).
 */
export type JournalRecord = JournalEntry & { seq: number; ts: string; t: number };

/** The type names of every record, for validation. */
export const RECORD_TYPES: ReadonlySet<string> = new Set([
  'session-start', 'session-resume', 'step-start', 'step-output', 'step-verify', 'step-manual', 'step-end',
  'step-interrupted', 'step-skip', 'confirmation', 'refusal', 'note', 'memory', 'session-end', 'gameday',
]);
