import os from 'node:os';
import type { StepResult } from '../core/result.ts';
import type { RecoveryContext, RecoveryDriver } from '../engine/recovery-driver.ts';
import { JournalWriter } from '../journal/journal-writer.ts';
import type { JournalRecord } from '../journal/records.ts';
import type { LoadRun } from '../load/load-generator.ts';
import type { DrillClock } from '../measure/clock.ts';
import { LiveServiceTracker, type LiveServiceStats } from '../measure/live-service-stats.ts';
import { formatClock, SessionClock } from '../guide/session-clock.ts';
import type { JournalRead } from '../journal/journal-reader.ts';
import { GuideSession } from '../guide/session.ts';
import type { GuideStepState, SessionState } from '../guide/session-state.ts';
import { alertReasons, type ConnectionUse } from './alert-rules.ts';

/**
 * Where a game day is: `steady` (load running, no fault yet, or one the
 * operator has not been told of), `alerted` (the alert fired: the runbook is
 * in the operator's hands), `over` (the session finished or ended).
 */
export type GameDayPhase = 'steady' | 'alerted' | 'over';

/** What the game-day screen shows; `GameDay.view` returns a fresh one. */
export interface GameDayView {
  phase: GameDayPhase;
  /** Drill-clock ms now. */
  now: number;
  stats: LiveServiceStats | null;
  connections: ConnectionUse | null;
  /** The alert, once it fired: when (drill-clock ms) and why. */
  alert: { atMs: number; reasons: string[]; timedOut?: boolean } | null;
  /** The guided session, once the alert fired. */
  session: GuideSession | null;
}

/** How a game day is run. */
export interface GameDayOptions {
  journalPath: string;
  operator: string;
  /** How often the panel and the alert are evaluated, ms (default 500). */
  tickMs?: number;
  /** When no alert fires this long after the fault, the runbook is handed over anyway (default 120 s). */
  alertTimeoutMs?: number;
  /** A game day that pgdrill stopped (killed, crashed, lost terminal), continued from its journal. */
  resume?: { read: JournalRead; state: SessionState };
}

/** What a resumed game day knows of the interruption, on the incident clock (ms since the first fault). */
export interface GameDayGap {
  /** The journal's last record before pgdrill stopped. */
  lastBeforeMs: number;
  /** The resume: the fault stands again (or still) from here. */
  resumedAtMs: number;
}

const ACTIONS: ReadonlySet<JournalRecord['type']> = new Set(['step-start', 'step-skip', 'note', 'confirmation']);

/**
 * The game day's recovery driver: once the fault stands, a person works
 * the runbook through a guided session (every rule of `pgdrill guide`),
 * acting on the drill's real fault proxy, service and lab. The session and
 * its journal start at the fault; the runbook is handed over when the alert
 * fires (the seed's thresholds, judged on what the load sees), as a
 * monitoring system would page the person on call. No React: the UI
 * subscribes to `view()`.
 */
export class GameDay implements RecoveryDriver {
  private readonly options: GameDayOptions;
  private load: LoadRun | undefined;
  private clock: DrillClock | undefined;
  private tracker = new LiveServiceTracker();
  private stats: LiveServiceStats | null = null;
  private connections: ConnectionUse | null = null;
  private alert: GameDayView['alert'] = null;
  private session: GuideSession | null = null;
  private journal: JournalWriter | undefined;
  private phase: GameDayPhase = 'steady';
  private ticker: NodeJS.Timeout | undefined;
  private connectionProbe: (() => Promise<ConnectionUse>) | undefined;
  private readonly listeners = new Set<() => void>();
  private faultAtMs: number | null = null;
  private cachedView: GameDayView | undefined;
  private resumedGap: GameDayGap | undefined;
  private journalTta: number | null = null;
  private journalAlertT: number | null = null;
  private firstActionAtMs: number | null = null;

  constructor(options: GameDayOptions) {
    this.options = options;
  }

  /** Called on every change of the view (each tick, each session record). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The current view: the same object until the next change (tick or session record), as a React store needs. */
  view(): GameDayView {
    this.cachedView ??= { phase: this.phase, now: this.clock?.now() ?? 0, stats: this.stats, connections: this.connections, alert: this.alert, session: this.session };
    return this.cachedView;
  }

  /** Time to acknowledge: from the alert to the operator's first action (a step run, a skip, a note), ms. */
  get ttaMs(): number | null {
    if (this.resumedGap) return this.journalTta;
    return this.alert && this.firstActionAtMs !== null ? Math.max(0, this.firstActionAtMs - this.alert.atMs) : null;
  }

  /** For a resumed game day: when pgdrill stopped and when it resumed, on the incident clock. */
  get gap(): GameDayGap | undefined {
    return this.resumedGap;
  }

  /** When the alert fired, drill-clock ms (for a resumed game day: when it fired in the first session, on this drill's clock). */
  get alertAtMs(): number | null {
    if (this.resumedGap) return this.journalAlertT === null || this.faultAtMs === null ? null : this.faultAtMs - this.resumedGap.resumedAtMs + this.journalAlertT;
    return this.alert?.atMs ?? null;
  }

  loadStarted(load: LoadRun, clock: DrillClock): void {
    this.load = load;
    this.clock = clock;
    this.tracker = new LiveServiceTracker(clock.now());
    this.ticker = setInterval(() => void this.tick(), this.options.tickMs ?? 500);
    this.ticker.unref();
    void this.tick();
  }

  async recover(ctx: RecoveryContext): Promise<StepResult[]> {
    this.connectionProbe = async () => {
      const [row] = await ctx.cluster.query('postgres', "SELECT count(*)::int AS used, current_setting('max_connections')::int AS max FROM pg_stat_activity WHERE backend_type = 'client backend'");
      return { used: Number(row?.used), max: Number(row?.max) };
    };
    this.faultAtMs = ctx.t0Ms;
    // Failures before the fault were the steady state's, not the incident's.
    this.tracker = new LiveServiceTracker(ctx.t0Ms);
    const resume = this.options.resume;
    const journal = resume ? JournalWriter.reopen(resume.read) : JournalWriter.create(this.options.journalPath);
    this.journal = journal;
    const session = new GuideSession({
      runbook: ctx.scenario.runbook,
      target: ctx.cluster,
      contexts: ctx.contexts,
      journal,
      // The incident clock starts at the (first) fault: the journal's times are times since the incident began.
      clock: new SessionClock(resume ? Date.parse(resume.state.startedAt) : ctx.clock.startedWall + ctx.t0Ms),
      missing: [],
      allowDestructive: false,
      identity: { operator: this.options.operator, host: os.hostname(), pid: process.pid, mode: 'interactive' },
    });
    if (resume) {
      session.resume(resume.state, resume.read.truncatedTail);
      this.resumedGap = { lastBeforeMs: resume.state.lastT, resumedAtMs: session.now() };
      session.gameDayEvent({
        type: 'gameday',
        event: 'load-interrupted',
        detail: `pgdrill stopped after +${formatClock(resume.state.lastT)} and resumed at +${formatClock(session.now())}: the load and its measurements in between are lost; the fault stands again (${ctx.faultDetail ?? 'injected again'})`,
        data: { ...this.resumedGap, t0Ms: ctx.t0Ms },
      });
      const records = resume.read.records;
      const alerted = records.find((r) => r.type === 'gameday' && r.event === 'alert');
      const acted = alerted ? records.find((r) => r.t >= alerted.t && ACTIONS.has(r.type)) : undefined;
      this.journalTta = alerted && acted ? acted.t - alerted.t : null;
      this.journalAlertT = alerted ? alerted.t : null;
      // The operator was paged in the first session: the runbook is in their hands at once.
      this.alert = { atMs: ctx.clock.now(), reasons: [alerted && alerted.type === 'gameday' ? `resumed; the alert fired at +${formatClock(alerted.t)}: ${alerted.detail}` : 'resumed: the runbook is handed over at once'] };
      this.phase = 'alerted';
    } else {
      session.start();
      session.gameDayEvent({ type: 'gameday', event: 'fault', detail: `${ctx.scenario.id}: ${ctx.faultDetail ?? 'fault injected'}`, data: { t0Ms: ctx.t0Ms } });
    }
    this.session = session;
    // One listener for the whole session: acknowledgement, chart marks, the screen, and the end of the runbook.
    let over!: () => void;
    const ended = new Promise<void>((resolve) => { over = resolve; });
    const unsubscribe = session.subscribe((state, record) => {
      if (this.alert && this.firstActionAtMs === null && ACTIONS.has(record.type)) this.firstActionAtMs = ctx.clock.now();
      if (record.type === 'step-start') ctx.mark('step-start', record.stepId);
      if (record.type === 'step-end') ctx.mark('step-end', `${record.stepId}: ${record.status}`);
      this.notify();
      if (state.finished || state.ended) over();
    });
    const onAbort = () => void session.end('interrupted', 'pgdrill received a signal').finally(over);
    try {
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (session.state.finished || session.state.ended) over();
      await ended;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      unsubscribe();
      this.phase = 'over';
      this.notify();
    }
    return session.state.steps.map((s) => stepResult(s, this.faultAtMs ?? 0));
  }

  /** Journals the final result and closes the journal (after the drill measured). */
  finish(detail: string, data: unknown): void {
    const session = this.session;
    this.stop();
    if (!session) return;
    try {
      session.gameDayEvent({ type: 'gameday', event: 'result', detail, data });
    } finally {
      this.journal?.close();
    }
  }

  /** Stops the ticker (idempotent). */
  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private async tick(): Promise<void> {
    if (!this.load || !this.clock) return;
    const now = this.clock.now();
    this.stats = this.tracker.stats(this.load.timeline, now);
    if (this.connectionProbe) {
      try {
        this.connections = await this.connectionProbe();
      } catch {
        this.connections = null;
      }
    }
    if (this.phase === 'steady' && this.faultAtMs !== null && this.session) {
      const reasons = alertReasons(this.stats, this.connections ?? undefined);
      const timeoutMs = this.options.alertTimeoutMs ?? 120_000;
      const timedOut = reasons.length === 0 && now - this.faultAtMs > timeoutMs;
      if (timedOut) reasons.push(`no alert within ${Math.round(timeoutMs / 1000)} s of the fault: it had no effect the seed's thresholds see; the runbook is handed over anyway`);
      if (reasons.length > 0) {
        this.alert = { atMs: now, reasons, ...(timedOut ? { timedOut } : {}) };
        this.phase = 'alerted';
        this.session.gameDayEvent({ type: 'gameday', event: 'alert', detail: reasons.join('; '), data: { atMs: now } });
      }
    }
    this.notify();
  }

  private notify(): void {
    this.cachedView = undefined;
    for (const listener of this.listeners) listener();
  }
}

function stepResult(s: GuideStepState, fallbackStart: number): StepResult {
  const status = s.status === 'done' || s.status === 'failed' || s.status === 'skipped' ? s.status : s.status === 'interrupted' ? 'interrupted' : 'skipped';
  return {
    id: s.id,
    title: s.title,
    status,
    durationMs: s.durationMs,
    startedAtMs: s.firstStartedAt ?? fallbackStart,
    ...(s.detail ? { detail: s.detail } : s.skipReason ? { detail: `skipped: ${s.skipReason}` } : status === 'skipped' ? { detail: 'not run' } : {}),
    by: s.by === 'automatic' ? 'pgdrill' : 'operator',
  };
}
