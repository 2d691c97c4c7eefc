import { DEFAULT_RECOVERY_CRITERIA, applyLatencyObjective } from '../measure/recovery.ts';
import type { RequestRecord, RequestTimeline } from '../measure/timeline.ts';
import { sleep } from '../util/sleep.ts';

/** How many warm-up windows a drill watches before it gives up on the steady state. */
export const STEADY_STATE_WINDOWS = 3;

/**
 * What the steady-state check saw in its last window: `holds` when at least
 * the recovery criteria's success ratio of the requests sent in the window
 * (and answered by its end) succeeded within the latency objective.
 * `window` counts from 1; `earlier` describes the windows that did not hold,
 * for the drill's notes (empty when the first one held).
 */
export interface SteadyStateVerdict {
  holds: boolean;
  ok: number;
  total: number;
  window: number;
  windows: number;
  windowMs: number;
  /** The first failed or late request of the last window, for the message. */
  firstFailure?: RequestRecord;
  earlier: string[];
}

/** What `awaitSteadyState` needs: the live load, its clock, the window and the latency objective. */
export interface SteadyStateWatch {
  timeline: RequestTimeline;
  now: () => number;
  /** When the load started (clock ms): the first window begins here. */
  startedAt: number;
  windowMs: number;
  slowRequestMs: number;
  signal?: AbortSignal;
  /** Told when a window does not hold and another is watched. */
  log?: (message: string) => void;
  windows?: number;
}

/**
 * Watches the load before a fault until one whole window of `windowMs` holds
 * the steady state, for at most `windows` windows (3 by default: a drill on
 * an unhealthy system fails after 3 × the warm-up, never later). A transient
 * stall just after setup (a checkpoint, a cold cache) therefore delays the
 * fault instead of failing the drill; a service that never settles still
 * fails, with the last window's numbers. Each window judges only the requests
 * sent in it, so a stall in one window does not taint the next.
 */
export async function awaitSteadyState(watch: SteadyStateWatch): Promise<SteadyStateVerdict> {
  const windows = Math.max(1, watch.windows ?? STEADY_STATE_WINDOWS);
  const earlier: string[] = [];
  for (let window = 1; ; window++) {
    const from = watch.startedAt + (window - 1) * watch.windowMs;
    const until = watch.startedAt + window * watch.windowMs;
    await sleep(Math.max(0, until - watch.now()), watch.signal);
    const verdict = judgeWindow(watch.timeline, from, watch.now(), watch.slowRequestMs);
    const result: SteadyStateVerdict = { ...verdict, window, windows, windowMs: watch.windowMs, earlier };
    if (verdict.holds || window >= windows) return result;
    const summary = describeWindow(result, watch.slowRequestMs);
    earlier.push(summary);
    watch.log?.(`The steady state did not hold in warm-up window ${window} of ${windows}: ${summary}. Watching another ${(watch.windowMs / 1000).toFixed(1)} s before the fault.`);
  }
}

/** One line for a window that did not hold: counts and the first failed or late request. */
export function describeWindow(verdict: SteadyStateVerdict, slowRequestMs: number): string {
  const f = verdict.firstFailure;
  const example = f ? `; e.g. a ${f.kind} answered ${describeAnswer(f)}` : '';
  return `${verdict.ok} of ${verdict.total} requests succeeded within ${slowRequestMs} ms${example}`;
}

/** A request's answer as a person reads it: `201 after 1342 ms (slow)`, `503`, `ECONNREFUSED`. */
export function describeAnswer(r: RequestRecord): string {
  const latency = Math.round(r.endAt - r.sentAt);
  if (r.status !== null && r.error?.startsWith('slow')) return `${r.status}, but after ${latency} ms`;
  if (r.status !== null) return `${r.status} after ${latency} ms`;
  return `${r.error ?? 'no answer'} after ${latency} ms`;
}

function judgeWindow(timeline: RequestTimeline, from: number, now: number, slowRequestMs: number): Pick<SteadyStateVerdict, 'holds' | 'ok' | 'total' | 'firstFailure'> {
  const inWindow = applyLatencyObjective(timeline.filter((i) => timeline.sentAt(i) >= from && timeline.endAt(i) <= now), slowRequestMs);
  const ok = inWindow.count((i) => inWindow.ok(i));
  const total = inWindow.length;
  let failed = 0;
  while (failed < total && inWindow.ok(failed)) failed++;
  const holds = total > 0 && ok / total >= DEFAULT_RECOVERY_CRITERIA.minSuccessRatio;
  return { holds, ok, total, ...(failed < total ? { firstFailure: inWindow.at(failed) } : {}) };
}
