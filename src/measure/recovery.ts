import type { RequestTimeline } from './timeline.ts';

/** How recovery is judged from the timeline. */
export interface RecoveryCriteria {
  /** Length of the window in which the service must answer again; default 2000 ms. */
  windowMs: number;
  /** Success ratio required in that window; default 0.99. */
  minSuccessRatio: number;
}

export const DEFAULT_RECOVERY_CRITERIA: RecoveryCriteria = { windowMs: 2000, minSuccessRatio: 0.99 };

/** What the timeline says about an outage and its end. Times are drill-clock milliseconds. */
export interface RecoveryMeasure {
  /** From t0 to the start of the first window in which the service answers again; null when it never did while observed. */
  rtoMs: number | null;
  /** From t0 to the moment the first failed request was seen (its end); null when nothing failed. */
  ttdMs: number | null;
  /** Start of the recovery window, or null. */
  recoveredAt: number | null;
  /** Requests sent at or after t0 that failed. */
  failuresAfterFault: number;
}

/**
 * Measures RTO and time to detect, exactly as the README defines them. Both
 * are read from when the load saw answers (request end times), never from
 * when it sent requests: a request sent during the outage that succeeds
 * late, after a retry, shows the service answering only when it answered.
 *
 * - time to detect: from t0 to the end of the first failed request sent at
 *   or after t0;
 * - RTO: from t0 to the start of the first window (`windowMs`, sliding,
 *   starting at the end of a successful request that ended after the first
 *   failure) in which at least `minSuccessRatio` of the requests that ended
 *   in it succeeded, writes included (the window holds at least one write),
 *   and which ends before `observedUntil` (a window not fully observed
 *   cannot prove recovery).
 *
 * When nothing failed after t0 the fault had no visible effect: RTO is 0 and
 * time to detect is null.
 */
export function measureRecovery(
  timeline: RequestTimeline,
  t0: number,
  observedUntil: number,
  criteria: RecoveryCriteria = DEFAULT_RECOVERY_CRITERIA,
): RecoveryMeasure {
  let failures = 0;
  let detectedAt = Infinity;
  for (let i = 0; i < timeline.length; i++) {
    if (timeline.sentAt(i) >= t0 && !timeline.ok(i)) {
      failures++;
      if (timeline.endAt(i) < detectedAt) detectedAt = timeline.endAt(i);
    }
  }
  if (failures === 0) return { rtoMs: 0, ttdMs: null, recoveredAt: t0, failuresAfterFault: 0 };
  const ttdMs = Math.max(0, detectedAt - t0);

  // Every answer after the first failure was seen, in the order the load saw them.
  const answers = answersAfter(timeline, detectedAt);
  const endAt = (k: number) => timeline.endAt(answers[k]!);
  let end = 0;
  let ok = 0;
  let writes = 0;
  for (let i = 0; i < answers.length; i++) {
    const r = answers[i]!;
    const windowStart = timeline.endAt(r);
    const windowEnd = windowStart + criteria.windowMs;
    if (windowEnd > observedUntil) break;
    while (end < answers.length && endAt(end) < windowEnd) {
      if (timeline.ok(answers[end]!)) ok++;
      if (timeline.isWrite(answers[end]!)) writes++;
      end++;
    }
    const count = end - i;
    if (timeline.ok(r) && writes > 0 && ok / count >= criteria.minSuccessRatio) {
      return { rtoMs: windowStart - t0, ttdMs, recoveredAt: windowStart, failuresAfterFault: failures };
    }
    if (timeline.ok(r)) ok--;
    if (timeline.isWrite(r)) writes--;
  }
  return { rtoMs: null, ttdMs, recoveredAt: null, failuresAfterFault: failures };
}

/**
 * Indices of the requests that ended after `after`, ordered by end time (ties
 * keep timeline order). The load appends requests as they end, so this is
 * usually one pass; any other order is sorted.
 */
function answersAfter(timeline: RequestTimeline, after: number): Uint32Array {
  let n = 0;
  for (let i = 0; i < timeline.length; i++) if (timeline.endAt(i) > after) n++;
  const answers = new Uint32Array(n);
  let sorted = true;
  for (let i = 0, k = 0; i < timeline.length; i++) {
    if (timeline.endAt(i) <= after) continue;
    if (k > 0 && timeline.endAt(i) < timeline.endAt(answers[k - 1]!)) sorted = false;
    answers[k++] = i;
  }
  if (sorted) return answers;
  // Array.prototype.sort is stable (and fast on the nearly sorted runs a load produces).
  return Uint32Array.from(Array.from(answers).sort((a, b) => timeline.endAt(a) - timeline.endAt(b)));
}

/**
 * Applies a latency objective: a request that succeeded but took longer than
 * `slowRequestMs` from send to answer counts as failed (`error: "slow (N ms)"`).
 */
export function applyLatencyObjective(timeline: RequestTimeline, slowRequestMs: number): RequestTimeline {
  return timeline.withLatencyObjective(slowRequestMs);
}
