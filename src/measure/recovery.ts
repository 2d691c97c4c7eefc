import type { RequestRecord } from './timeline.ts';

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
  timeline: readonly RequestRecord[],
  t0: number,
  observedUntil: number,
  criteria: RecoveryCriteria = DEFAULT_RECOVERY_CRITERIA,
): RecoveryMeasure {
  const failures = timeline.filter((r) => r.sentAt >= t0 && !r.ok);
  if (failures.length === 0) return { rtoMs: 0, ttdMs: null, recoveredAt: t0, failuresAfterFault: 0 };
  const detectedAt = Math.min(...failures.map((r) => r.endAt));
  const ttdMs = Math.max(0, detectedAt - t0);

  // Every answer after the first failure was seen, in the order the load saw them.
  const answers = timeline.filter((r) => r.endAt > detectedAt).sort((a, b) => a.endAt - b.endAt);
  let end = 0;
  let ok = 0;
  let writes = 0;
  for (let i = 0; i < answers.length; i++) {
    const windowStart = answers[i]!.endAt;
    const windowEnd = windowStart + criteria.windowMs;
    if (windowEnd > observedUntil) break;
    while (end < answers.length && answers[end]!.endAt < windowEnd) {
      if (answers[end]!.ok) ok++;
      if (answers[end]!.kind === 'write') writes++;
      end++;
    }
    const count = end - i;
    if (answers[i]!.ok && writes > 0 && ok / count >= criteria.minSuccessRatio) {
      return { rtoMs: windowStart - t0, ttdMs, recoveredAt: windowStart, failuresAfterFault: failures.length };
    }
    if (answers[i]!.ok) ok--;
    if (answers[i]!.kind === 'write') writes--;
  }
  return { rtoMs: null, ttdMs, recoveredAt: null, failuresAfterFault: failures.length };
}

/**
 * Applies a latency objective: a request that succeeded but took longer than
 * `slowRequestMs` from send to answer counts as failed (`error: "slow"`).
 */
export function applyLatencyObjective(timeline: readonly RequestRecord[], slowRequestMs: number): RequestRecord[] {
  return timeline.map((r) => (r.ok && r.endAt - r.sentAt > slowRequestMs ? { ...r, ok: false, error: `slow (${Math.round(r.endAt - r.sentAt)} ms)` } : r));
}
