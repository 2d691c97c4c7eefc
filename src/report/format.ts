import type { DrillResult } from '../core/result.ts';
/** A duration for people: 850 ms, 5.3 s, 4.2 min. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** An objective for people: "0" stays 0, whole hours, minutes and seconds without decimals (4 h, 5 min, 30 s). */
export function formatObjective(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return formatDuration(ms);
}

/** The load's rate as sent against its target, and the most requests in flight (cap hit or not). */
export function formatLoad(load: DrillResult['load']): string {
  if (!load) return '—';
  return `${load.sentRate} of ${load.targetRate} req/s, ≤ ${load.maxInFlight} in flight${load.inFlightCapHit ? ' (cap hit)' : ''}`;
}
