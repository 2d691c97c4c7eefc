import { readFileSync } from 'node:fs';
import { UserError, errorMessage } from '../core/errors.ts';
import type { DrillResult } from '../core/result.ts';
import { formatDuration } from '../report/format.ts';

/** How much slower than the baseline a measured RTO may be before it is a regression. */
export interface RegressionTolerance {
  /** Fraction over the baseline RTO, e.g. 0.5 = 50% slower. */
  ratio: number;
  /** And at least this many ms slower (absorbs noise on short RTOs). */
  minMs: number;
}

export const DEFAULT_TOLERANCE: RegressionTolerance = { ratio: 0.5, minMs: 1000 };

/** Reads a baseline: a JSON file written by `--json` (one result or an array). */
export function readBaseline(file: string): DrillResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`The baseline ${file} could not be read: ${errorMessage(error)}.`, 'Point --baseline at a JSON file written by an earlier `pgdrill ci --json`.');
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (!list.every((r) => r && typeof r === 'object' && typeof (r as DrillResult).scenario === 'string')) {
    throw new UserError(`The baseline ${file} does not hold pgdrill results.`, 'Point --baseline at a JSON file written by an earlier `pgdrill ci --json`.');
  }
  return list as DrillResult[];
}

/**
 * Compares measured RTOs with a baseline, per scenario (and variant): a
 * regression is an RTO more than `ratio` over the baseline's and at least
 * `minMs` slower, or no recovery where the baseline recovered. Scenarios
 * missing from the baseline are not compared.
 */
export function findRegressions(results: readonly DrillResult[], baseline: readonly DrillResult[], tolerance: RegressionTolerance = DEFAULT_TOLERANCE): Map<string, string> {
  const key = (r: DrillResult) => `${r.scenario}${r.variant ? `:${r.variant}` : ''}`;
  const before = new Map(baseline.map((r) => [key(r), r]));
  const out = new Map<string, string>();
  for (const r of results) {
    const b = before.get(key(r));
    if (!b || b.rtoMs === null || r.status === 'error') continue;
    if (r.rtoMs === null) {
      out.set(r.scenario, `did not recover, baseline RTO ${formatDuration(b.rtoMs)}`);
    } else if (r.rtoMs > b.rtoMs * (1 + tolerance.ratio) && r.rtoMs - b.rtoMs >= tolerance.minMs) {
      out.set(r.scenario, `RTO ${formatDuration(r.rtoMs)} against a baseline of ${formatDuration(b.rtoMs)} (tolerance +${Math.round(tolerance.ratio * 100)}%)`);
    }
  }
  return out;
}
