import Table from 'cli-table3';
import type { DrillResult } from '../core/result.ts';
import { redact } from '../util/redact.ts';
import { formatDuration, formatObjective } from './format.ts';

/** One line per scenario: the verdict beside objective and measured RTO/RPO (terminal). */
export function renderSuiteTable(results: readonly DrillResult[]): string {
  const table = new Table({
    head: ['scenario', 'status', 'RTO (objective)', 'lost writes', 'RPO (objective)', 'requests / failed'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
  for (const r of results) {
    table.push([
      r.variant ? `${r.scenario} (${r.variant})` : r.scenario,
      r.status.toUpperCase(),
      `${formatDuration(r.rtoMs)} (${formatObjective(r.objectives.rtoMs)})`,
      `${r.lostWrites} of ${r.ackedWrites}`,
      `${formatDuration(r.rpoMs)} (${formatObjective(r.objectives.rpoMs)})`,
      `${r.requests} / ${r.failedRequests}`,
    ]);
  }
  return redact(table.toString());
}
