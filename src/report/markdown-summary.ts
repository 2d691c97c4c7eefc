import type { DrillResult } from '../core/result.ts';
import { redact } from '../util/redact.ts';
import { formatDuration, formatObjective } from './format.ts';

const ICON: Record<DrillResult['status'], string> = { passed: '✅ passed', breached: '❌ breached', ineffective: '⚠️ ineffective', error: '💥 error', skipped: '⏭️ skipped' };

/** A Markdown table of results (for $GITHUB_STEP_SUMMARY and pull requests), with the reasons under it. */
export function renderMarkdownSummary(results: readonly DrillResult[], regressions: readonly string[] = []): string {
  const lines = [
    '## pgdrill recovery drills',
    '',
    '| scenario | status | RTO | objective RTO | lost writes | RPO | objective RPO |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.variant ? `${r.scenario} (${r.variant})` : r.scenario} | ${ICON[r.status]} | ${formatDuration(r.rtoMs)} | ${formatObjective(r.objectives.rtoMs)} | ${r.lostWrites} of ${r.ackedWrites} | ${formatDuration(r.rpoMs)} | ${formatObjective(r.objectives.rpoMs)} |`,
    );
  }
  const notes = [...results.flatMap((r) => r.reasons.map((reason) => `- **${r.scenario}**: ${reason.replace(/\n/g, ' ')}`)), ...regressions.map((g) => `- regression: ${g}`)];
  if (notes.length) lines.push('', ...notes);
  return redact(`${lines.join('\n')}\n`);
}
