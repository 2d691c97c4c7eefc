import type { LiveServiceStats } from '../measure/live-service-stats.ts';

/** The seed's monitoring thresholds a game day's alert uses ("Key Metrics to Monitor"). */
export const ALERT_THRESHOLDS = {
  /** Failed connections: any. */
  failedPerSec: 0,
  /** Query latency p95 above 100 ms. */
  p95Ms: 100,
  /** Connections above 80% of max_connections. */
  connectionsRatio: 0.8,
} as const;

/** Connections in use on the server, and its limit. */
export interface ConnectionUse {
  used: number;
  max: number;
}

/**
 * What a monitoring system with the seed's thresholds would alert on now,
 * one reason per breached threshold (empty: no alert). Judged on the live
 * window of the service's requests and on the server's connection count.
 */
export function alertReasons(stats: LiveServiceStats, connections?: ConnectionUse): string[] {
  const reasons: string[] = [];
  if (stats.failedPerSec > ALERT_THRESHOLDS.failedPerSec) reasons.push(`failed requests: ${stats.failedPerSec.toFixed(1)}/s (threshold: any)`);
  if (stats.p95Ms !== null && stats.p95Ms > ALERT_THRESHOLDS.p95Ms) reasons.push(`p95 latency ${stats.p95Ms} ms (threshold: 100 ms)`);
  if (connections && connections.max > 0 && connections.used / connections.max > ALERT_THRESHOLDS.connectionsRatio) {
    reasons.push(`connections ${connections.used} of ${connections.max} (threshold: 80%)`);
  }
  return reasons;
}
