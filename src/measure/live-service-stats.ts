import * as hdr from 'hdr-histogram-js';
import type { RequestTimeline } from './timeline.ts';

/** What a live service panel shows, computed from the load's timeline up to `now`. */
export interface LiveServiceStats {
  /** Answers (2xx, and 404 for a read) per second over the window. */
  okPerSec: number;
  /** Failed or errored requests per second over the window. */
  failedPerSec: number;
  /** Latency percentiles of the requests that ended in the window, ms (null when none). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Acknowledged writes since the load started. */
  ackedWrites: number;
  /** Ok and failed counts per second for the last `seriesSeconds` seconds, oldest first (for sparklines). */
  okSeries: number[];
  failedSeries: number[];
  /** Drill-clock ms of the first failure at or after `since`, or null. */
  firstFailureAt: number | null;
}

/**
 * Live statistics of a running load: rates and latency percentiles over
 * the last `windowMs`, per-second series over the last `seriesSeconds`.
 * Reads the timeline backwards from its newest record (records are in
 * the order they ended), so the cost is that of the window, not of the
 * whole drill. `ackedWrites` and `firstFailureAt` are kept by the caller's
 * `LiveServiceTracker` across calls.
 */
export class LiveServiceTracker {
  private scanned = 0;
  private acked = 0;
  private firstFailure: number | null = null;
  private readonly since: number;

  constructor(since = 0) {
    this.since = since;
  }

  /** Failures before this moment are not "the first failure" (the steady state, before the fault). */
  stats(timeline: RequestTimeline, now: number, windowMs = 5_000, seriesSeconds = 60): LiveServiceStats {
    for (; this.scanned < timeline.length; this.scanned++) {
      const i = this.scanned;
      if (timeline.ok(i) && timeline.isWrite(i)) this.acked++;
      if (!timeline.ok(i) && this.firstFailure === null && timeline.endAt(i) >= this.since) this.firstFailure = timeline.endAt(i);
    }
    const okSeries = new Array<number>(seriesSeconds).fill(0);
    const failedSeries = new Array<number>(seriesSeconds).fill(0);
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
    let ok = 0;
    let failed = 0;
    const seriesFrom = now - seriesSeconds * 1000;
    for (let i = timeline.length - 1; i >= 0; i--) {
      const end = timeline.endAt(i);
      if (end < seriesFrom && end < now - windowMs) break;
      if (end > now) continue;
      const good = timeline.ok(i);
      if (end >= seriesFrom) {
        const slot = Math.min(seriesSeconds - 1, Math.floor((end - seriesFrom) / 1000));
        if (good) okSeries[slot]!++;
        else failedSeries[slot]!++;
      }
      if (end >= now - windowMs) {
        if (good) ok++;
        else failed++;
        histogram.recordValue(Math.min(3_600_000, Math.max(1, Math.round(end - timeline.sentAt(i)))));
      }
    }
    const seconds = windowMs / 1000;
    const has = ok + failed > 0;
    const at = (p: number) => (has ? histogram.getValueAtPercentile(p) : null);
    const percentiles = { p50Ms: at(50), p95Ms: at(95), p99Ms: at(99) };
    histogram.destroy();
    return {
      okPerSec: ok / seconds,
      failedPerSec: failed / seconds,
      ...percentiles,
      ackedWrites: this.acked,
      okSeries,
      failedSeries,
      firstFailureAt: this.firstFailure,
    };
  }
}
