import path from 'node:path';
import { ExitCode } from '../core/exit-codes.ts';
import type { DrillResult } from '../core/result.ts';
import { formatDuration, formatObjective } from '../report/format.ts';

/** The working directory for a suite's fresh labs: `.pgdrill/runs/<timestamp>` under the current directory. */
export function suiteWorkDir(cwd = process.cwd()): string {
  return path.join(cwd, '.pgdrill', 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
}

/** One progress line per scenario: when it starts, and its verdict with RTO and loss when it ends. */
export function progressLine(index: number, total: number, scenario: string, result?: DrillResult): string {
  const head = `[${index + 1}/${total}] ${scenario}`;
  if (!result) return `${head} ...`;
  if (result.status === 'skipped') return `${head} SKIPPED: ${result.reasons.join('; ')}`;
  return `${head} ${result.status.toUpperCase()}: RTO ${formatDuration(result.rtoMs)} (objective ${formatObjective(result.objectives.rtoMs)}), lost ${result.lostWrites} of ${result.ackedWrites} acknowledged writes`;
}

/**
 * The exit code of several results: 1 when any drill could not run or
 * rehearsed nothing (results are incomplete, never a pass or a breach), or
 * when every scenario was skipped (it does not apply to the system under
 * drill), else 2 when any objective was breached or `regressed`, else 0.
 * A skipped scenario beside drills that ran is reported, not judged.
 */
export function suiteExitCode(results: readonly DrillResult[], regressed = false): number {
  if (results.every((r) => r.status === 'skipped') || results.some((r) => r.status === 'error' || r.status === 'ineffective')) return ExitCode.harnessFailed;
  if (regressed || results.some((r) => r.status === 'breached')) return ExitCode.objectiveBreached;
  return ExitCode.ok;
}
