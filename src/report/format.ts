/** A duration for people: 850 ms, 5.3 s, 4.2 min. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** An objective for people: "0" stays 0, others as durations. */
export function formatObjective(ms: number): string {
  return ms === 0 ? '0' : formatDuration(ms);
}
