import { randomUUID } from 'node:crypto';
import { describeError, errorMessage } from '../core/errors.ts';
import { StepUnavailableError, type Runbook, type RunbookStep, type SessionMemory, type StepCapability } from '../core/runbook.ts';
import type { Target } from '../core/target.ts';
import { executeStep } from '../engine/runbook-runner.ts';
import type { StepContextHandle } from '../engine/step-context.ts';
import type { JournalSink } from '../journal/journal-writer.ts';
import { JOURNAL_FORMAT, type JournalEntry, type JournalRecord, type SessionIdentity, type SessionOutcome } from '../journal/records.ts';
import { redact } from '../util/redact.ts';
import type { SessionClock } from './session-clock.ts';
import { applyRecord, startState, type GuideStepState, type SessionState } from './session-state.ts';
import { guideStep } from './guide-step.ts';
import { isManualOnly } from './step-text.ts';

/**
 * What pressing Enter means for the current step: `run` it (its first
 * attempt, or again after an interruption), `retry` a failed one (the `r`
 * key), `complete-manual` (the operator did it by hand), `refused` (a
 * destructive step on a target other than the lab without
 * --allow-destructive), `busy` (a step is running), `finished` (every step
 * done or skipped), `ended` (the session was quit or interrupted).
 */
export type NextAction = 'run' | 'retry' | 'complete-manual' | 'refused' | 'busy' | 'finished' | 'ended';

/** The answer to an operator's command: whether it happened, and a sentence for the screen when it did not. */
export interface CommandResult {
  ok: boolean;
  message?: string;
}

/** Called after every record, with the new state and the record that made it. */
export type SessionListener = (state: SessionState, record: JournalRecord) => void;

/**
 * The guided session as a UI sees it: state to render, commands to call.
 * This is everything the Ink UI and the plain line runner depend on; the
 * engine never knows which of them is listening.
 */
export interface GuideController {
  readonly runbook: Runbook;
  readonly journalPath: string;
  readonly state: SessionState;
  /** The incident clock: ms since the session first started. */
  now(): number;
  subscribe(listener: SessionListener): () => void;
  nextAction(): NextAction;
  /** The typed confirmation the current step needs before it runs, when it is destructive. */
  confirmationFor(): { expected: string; touches: string } | undefined;
  /** Why the current destructive step is refused on this target, if it is. */
  refusalFor(): string | undefined;
  /** Runs the current step (first attempt, again after an interruption, or a retry). */
  run(confirmation?: string): Promise<CommandResult>;
  /** The operator did the current manual step: check it when it has a verification, then mark it done. */
  completeManual(): Promise<CommandResult>;
  /** Skips the current step; the reason is required. */
  skip(reason: string): CommandResult;
  /** Adds a note to the timeline. */
  note(text: string): CommandResult;
  /** Ends the session (interrupting a running step); the journal is kept and the session can be resumed. */
  end(outcome: Exclude<SessionOutcome, 'recovered'>, detail?: string): Promise<void>;
}

/** Everything a session needs; `openGuideSession` builds it for the CLI, tests build it directly. */
export interface GuideSessionInit {
  runbook: Runbook;
  target: Target;
  contexts: StepContextHandle;
  journal: JournalSink;
  clock: SessionClock;
  /** What the step context lacks here: its reading throws StepUnavailableError (see guide-step.ts). */
  missing: readonly StepCapability[];
  allowDestructive: boolean;
  identity: SessionIdentity;
}

/**
 * The engine side of a guided session (no React): it runs the current step
 * through the engine's `executeStep`, records every event in the journal
 * first (fsynced) and then applies it to the state (the same reducer that
 * rebuilds a session from its journal), and tells its subscribers.
 *
 * Steps go strictly in order. A step whose action or verification is
 * unavailable on this target (see `StepUnavailableError`) and that has
 * `manual` instructions becomes a manual step: the operator does it and
 * presses Enter; its verification, if it can run here, then gates it. A
 * destructive step runs only after the operator typed the target's name, and
 * never on a target other than the lab unless `allowDestructive`.
 */
export class GuideSession implements GuideController {
  readonly runbook: Runbook;
  readonly target: Target;
  private readonly init: GuideSessionInit;
  private currentState: SessionState | undefined;
  private readonly listeners = new Set<SessionListener>();
  private active: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(init: GuideSessionInit) {
    this.init = init;
    this.runbook = init.runbook;
    this.target = init.target;
  }

  get journalPath(): string {
    return this.init.journal.path;
  }

  get state(): SessionState {
    if (!this.currentState) throw new Error('the session has not started: call start() or resume() first');
    return this.currentState;
  }

  now(): number {
    return this.init.clock.now();
  }

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes the session-start record: a new session begins. */
  start(): void {
    const record = this.init.journal.append(
      {
        type: 'session-start',
        format: JOURNAL_FORMAT,
        sessionId: randomUUID(),
        startedAt: new Date(this.init.clock.startedWall).toISOString(),
        runbook: { id: this.runbook.id, title: this.runbook.title },
        steps: this.runbook.steps.map((s) => ({ id: s.id, title: s.title })),
        target: { kind: this.target.kind, name: this.target.name, isLab: this.target.isLab },
        allowDestructive: this.init.allowDestructive,
        ...this.init.identity,
      },
      this.now(),
    );
    if (record.type !== 'session-start') throw new Error('unreachable');
    this.currentState = startState(record);
    this.notify(record);
    this.settle();
  }

  /**
   * Continues a session from its journal's records (already folded into
   * `state`): a step that was in hand when pgdrill stopped without a
   * session-end is recorded as interrupted (it did not finish), then the
   * resume itself, with the cut-short last line removed from the journal if
   * there was one.
   */
  resume(state: SessionState, repairedTail?: { bytes: number; text: string }): void {
    this.currentState = state;
    if (!state.ended) {
      for (const step of state.steps) {
        if (step.activeSince === undefined && step.status !== 'running') continue;
        this.record({
          type: 'step-interrupted',
          stepId: step.id,
          activeUntil: state.lastT,
          detail: step.status === 'manual'
            ? 'pgdrill stopped (killed, crashed or lost its terminal) while this step waited for the operator'
            : 'pgdrill stopped (killed, crashed or lost its terminal) while this step was running; it did not finish',
        });
      }
    }
    this.record({ type: 'session-resume', ...this.init.identity, ...(repairedTail ? { repairedTail } : {}) });
    this.settle();
  }

  nextAction(): NextAction {
    const state = this.state;
    if (state.finished) return 'finished';
    if (state.ended) return 'ended';
    const { step, view } = this.current();
    if (view.status === 'running') return 'busy';
    // A manual step stays with the operator, also when checking their work was interrupted.
    if (view.status === 'manual' || (view.manual && view.status === 'interrupted')) return 'complete-manual';
    if (step.destructive && !view.manual && this.refusalFor()) return 'refused';
    if (view.status === 'failed') return 'retry';
    return 'run';
  }

  confirmationFor(): { expected: string; touches: string } | undefined {
    const step = this.currentStep();
    if (!step?.destructive) return undefined;
    return { expected: this.target.name, touches: step.destructive.touches };
  }

  refusalFor(): string | undefined {
    const step = this.currentStep();
    if (!step?.destructive || this.target.isLab || this.target.drillAllowed || this.init.allowDestructive) return undefined;
    if (this.target.kind === 'rds') return `This step is destructive (it touches ${step.destructive.touches}) and the RDS instance ${this.target.name} is not tagged pgdrill:drill=allowed: pgdrill acts on it only when started with --allow-destructive (or after the owner tags it).`;
    return `This step is destructive (it touches ${step.destructive.touches}) and the target ${this.target.name} is not the pgdrill lab: pgdrill runs destructive steps elsewhere only when started with --allow-destructive.`;
  }

  async run(confirmation?: string): Promise<CommandResult> {
    const action = this.nextAction();
    if (action === 'complete-manual') return this.completeManual();
    if (action !== 'run' && action !== 'retry' && action !== 'refused') return { ok: false, message: this.cannot(action) };
    const { step, view } = this.current();
    if (action === 'refused') {
      const reason = this.refusalFor()!;
      this.record({ type: 'refusal', stepId: step.id, reason });
      return { ok: false, message: reason };
    }
    if (view.manual && action === 'retry') return this.check(step);
    const needed = this.confirmationFor();
    if (needed) {
      if (confirmation === undefined) return { ok: false, message: `This step is destructive: type ${needed.expected} to run it.` };
      const ok = confirmation.trim() === needed.expected;
      this.record({ type: 'confirmation', stepId: step.id, expected: needed.expected, typed: confirmation, ok });
      if (!ok) return { ok: false, message: `"${confirmation.trim()}" is not ${needed.expected}: the step did not run.` };
    }
    await this.attempt(step, 'run');
    return { ok: true };
  }

  async completeManual(): Promise<CommandResult> {
    const action = this.nextAction();
    if (action !== 'complete-manual' && !(action === 'retry' && this.current().view.manual)) return { ok: false, message: this.cannot(action) };
    const { step, view } = this.current();
    if (step.verify) return this.check(step);
    this.record({ type: 'step-end', stepId: step.id, status: 'done', by: 'operator', durationMs: view.activeSince === undefined ? 0 : Math.round(Math.max(0, this.now() - view.activeSince)), detail: 'done by the operator' });
    this.settle();
    return { ok: true };
  }

  skip(reason: string): CommandResult {
    const action = this.nextAction();
    if (action === 'busy' || action === 'finished' || action === 'ended') return { ok: false, message: this.cannot(action) };
    const text = reason.trim();
    if (!text) return { ok: false, message: 'A skipped step needs a reason; it goes into the journal and the report.' };
    this.record({ type: 'step-skip', stepId: this.current().step.id, reason: text });
    this.settle();
    return { ok: true };
  }

  note(text: string): CommandResult {
    const trimmed = text.trim();
    if (!trimmed) return { ok: false, message: 'An empty note was not added.' };
    const step = this.currentStep();
    this.record({ type: 'note', text: trimmed, ...(step ? { stepId: step.id } : {}) });
    return { ok: true };
  }

  async end(outcome: Exclude<SessionOutcome, 'recovered'>, detail?: string): Promise<void> {
    if (!this.currentState || this.currentState.ended) return;
    const running = this.active;
    if (running) {
      running.controller.abort(new Error(detail ?? `the session was ${outcome === 'quit' ? 'quit by the operator' : outcome}`));
      await running.done;
    }
    if (this.state.ended) return;
    this.record({ type: 'session-end', outcome, ...(detail ? { detail } : {}) });
  }

  private cannot(action: NextAction): string {
    switch (action) {
      case 'busy': return 'A step is running: wait for it, or quit to interrupt it.';
      case 'finished': return 'Every step is done or skipped.';
      case 'ended': return 'The session has ended.';
      case 'complete-manual': return 'This step is done by hand: do it, then mark it done.';
      case 'refused': return this.refusalFor() ?? 'This step is refused here.';
      case 'retry': return 'The step failed: retry it, skip it with a reason, or quit.';
      default: return 'Nothing to do.';
    }
  }

  private currentStep(): RunbookStep | undefined {
    const state = this.currentState;
    if (!state || state.current >= this.runbook.steps.length) return undefined;
    return this.runbook.steps[state.current];
  }

  private current(): { step: RunbookStep; view: GuideStepState } {
    const step = this.currentStep();
    const view = this.state.steps[this.state.current];
    if (!step || !view) throw new Error('no current step');
    return { step, view };
  }

  /** The session memory a step sees: read from the state, every change journaled (fsynced) before it takes effect. */
  private journaledMemory(stepId: string): SessionMemory {
    return {
      get: <T>(key: string) => this.state.memory[key] as T | undefined,
      set: (key, value) => void this.record({ type: 'memory', stepId, key, value: JSON.parse(JSON.stringify(value)) as unknown }),
      clear: (key) => void this.record({ type: 'memory', stepId, key }),
    };
  }

  /** Journals a game day's own moment (fault, alert, result) in this session's journal, in order with its steps. */
  gameDayEvent(entry: Extract<JournalEntry, { type: 'gameday' }>): JournalRecord {
    return this.record(entry);
  }

  private record(entry: JournalEntry): JournalRecord {
    const record = this.init.journal.append(entry, this.now());
    this.currentState = applyRecord(this.state, record);
    this.notify(record);
    return record;
  }

  private notify(record: JournalRecord): void {
    for (const listener of this.listeners) listener(this.state, record);
  }

  /** After every change: close a finished session, and put a step with nothing automatic into the hands of a person. */
  private settle(): void {
    const state = this.state;
    if (state.ended) return;
    if (state.finished) {
      this.record({ type: 'session-end', outcome: 'recovered', detail: 'every step done or skipped' });
      return;
    }
    const step = this.currentStep();
    const view = state.steps[state.current];
    if (step && view && isManualOnly(step) && !view.manual) {
      this.record({ type: 'step-manual', stepId: step.id, reason: 'This step has no automatic action: a person does it.', instructions: step.manual ?? '' });
    }
  }

  private check(step: RunbookStep): Promise<CommandResult> {
    return this.attempt(step, 'check').then(() => ({ ok: true }));
  }

  /** One attempt at a step: its action and verification (`run`), or only its verification (`check`). */
  private async attempt(step: RunbookStep, action: 'run' | 'check'): Promise<void> {
    if (this.active) return;
    // From here to the step-start record everything is synchronous: the state says `running` before anyone else can act.
    const view = this.state.steps[this.state.current]!;
    const controller = new AbortController();
    const started = performance.now();
    let open = true;
    this.record({ type: 'step-start', stepId: step.id, attempt: view.attempts + 1, action });
    const output = (text: string) => {
      if (!open) return;
      for (const line of String(text).split(/\r?\n/)) this.record({ type: 'step-output', stepId: step.id, line: redact(line) });
    };
    let lastFailing: string | undefined;
    const guided = guideStep(step, {
      missing: this.init.missing,
      checkOnly: action === 'check',
      onVerification: (v) => {
        if (!open || v.ok || v.detail === lastFailing) return;
        lastFailing = v.detail;
        this.record({ type: 'step-verify', stepId: step.id, ok: false, detail: v.detail });
      },
    });
    const by = action === 'check' ? 'operator' : 'automatic';
    const done = (async () => {
      try {
        const ctx = this.init.contexts.forStep(output, controller.signal);
        ctx.memory = this.journaledMemory(step.id);
        const verification = await executeStep(guided, ctx, controller.signal);
        open = false;
        if (verification) this.record({ type: 'step-verify', stepId: step.id, ok: true, detail: verification.detail });
        this.record({ type: 'step-end', stepId: step.id, status: 'done', by, durationMs: Math.round(performance.now() - started), ...(verification ? { detail: verification.detail } : {}) });
      } catch (error) {
        open = false;
        const durationMs = Math.round(performance.now() - started);
        if (controller.signal.aborted) {
          this.record({ type: 'step-interrupted', stepId: step.id, activeUntil: this.now(), detail: `interrupted: ${errorMessage(controller.signal.reason)}; the step did not finish` });
        } else if (error instanceof StepUnavailableError && action === 'check') {
          this.record({ type: 'step-end', stepId: step.id, status: 'done', by, durationMs, detail: `done by the operator; not verified automatically (${error.message})` });
        } else if (error instanceof StepUnavailableError && step.manual) {
          this.record({ type: 'step-manual', stepId: step.id, reason: error.message, instructions: step.manual });
        } else if (error instanceof StepUnavailableError) {
          this.record({ type: 'step-end', stepId: step.id, status: 'failed', by, durationMs, detail: `${error.message} The runbook gives no manual instructions for it: skip it with a reason once you have done it another way.` });
        } else {
          this.record({ type: 'step-end', stepId: step.id, status: 'failed', by, durationMs, detail: redact(describeError(error)) });
        }
      }
    })();
    this.active = { controller, done };
    try {
      await done;
    } finally {
      this.active = undefined;
    }
    this.settle();
  }
}
