/** Min, median and max of a sample (the spread over a benchmark's runs). */
export interface Summary {
  /** Number of values summarized. */
  n: number;
  min: number;
  median: number;
  max: number;
}

/**
 * Summarize a non-empty sample: min, max and the median (the middle value
 * of the sorted sample; for an even count, the mean of the two middle ones).
 * Throws on an empty sample or a value that is not a finite number.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('cannot summarize an empty sample');
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`cannot summarize a sample holding ${v}`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

/** Relative spread of a sample, (max - min) / median: a rough measure of the machine's noise. 0 for a single value. */
export function spread(summary: Summary): number {
  return summary.median === 0 ? 0 : (summary.max - summary.min) / summary.median;
}
