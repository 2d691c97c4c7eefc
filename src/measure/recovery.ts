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
 * Measures RTO and time to detect, exactly as the README defines them:
 *
 * - time to detect: from t0 to the end of the first failed request sent at
 *   or after t0;
 * - RTO: from t0 to the start of the first window (`windowMs`, sliding,
 *   starting at the send time of a successful request after the first
 *   failure) in which at least
 *   `minSuccessRatio` of the requests sent succeed, writes included (the
 *   window holds at least one write), and which ends before `observedUntil`
 *   (a window not fully observed cannot prove recovery).
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
  const after = timeline.filter((r) => r.sentAt >= t0).sort((a, b) => a.sentAt - b.sentAt);
  const failures = after.filter((r) => !r.ok);
  if (failures.length === 0) return { rtoMs: 0, ttdMs: null, recoveredAt: t0, failuresAfterFault: 0 };
  const firstFailure = failures[0]!;
  const detectedAt = Math.min(...failures.map((r) => r.endAt));
  const ttdMs = Math.max(0, detectedAt - t0);

  const start = after.indexOf(firstFailure) + 1;
  let end = start;
  let ok = 0;
  let writes = 0;
  for (let i = start; i < after.length; i++) {
    const windowStart = after[i]!.sentAt;
    const windowEnd = windowStart + criteria.windowMs;
    if (windowEnd > observedUntil) break;
    while (end < after.length && after[end]!.sentAt < windowEnd) {
      if (after[end]!.ok) ok++;
      if (after[end]!.kind === 'write') writes++;
      end++;
    }
    const count = end - i;
    if (after[i]!.ok && writes > 0 && ok / count >= criteria.minSuccessRatio) {
      return { rtoMs: windowStart - t0, ttdMs, recoveredAt: windowStart, failuresAfterFault: failures.length };
    }
    if (after[i]!.ok) ok--;
    if (after[i]!.kind === 'write') writes--;
  }
  return { rtoMs: null, ttdMs, recoveredAt: null, failuresAfterFault: failures.length };
}
