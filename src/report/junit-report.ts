import { writeReportFile } from '../util/safe-dir.ts';
import type { DrillResult } from '../core/result.ts';
import { redact } from '../util/redact.ts';
import { formatDuration, formatObjective } from './format.ts';

/** Text made safe for an XML attribute or element (secrets redacted, markup escaped, characters XML 1.0 cannot carry removed). */
export function xml(text: string): string {
  return redact(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Characters XML 1.0 cannot carry.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

/** The one-line failure message of a result: objective versus measured. */
export function failureMessage(r: DrillResult): string {
  const measured = `RTO ${formatDuration(r.rtoMs)} (objective ${formatObjective(r.objectives.rtoMs)}), ${r.lostWrites} acknowledged write(s) lost over ${formatDuration(r.rpoMs)} (objective RPO ${formatObjective(r.objectives.rpoMs)})`;
  return `${r.status}: ${measured}${r.reasons.length ? `; ${r.reasons.join('; ')}` : ''}`;
}

/**
 * Writes JUnit XML: one test case per scenario. A breach or an ineffective
 * drill is a `<failure>` whose message states objective versus measured; a
 * harness failure is an `<error>`. Regressions against a baseline fail the
 * scenario they concern.
 */
export function writeJunitReport(file: string, results: readonly DrillResult[], regressions: ReadonlyMap<string, string> = new Map()): void {
  const seconds = (r: DrillResult) => ((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(3);
  const failures = results.filter((r) => r.status === 'breached' || r.status === 'ineffective' || (r.status === 'passed' && regressions.has(r.scenario))).length;
  const errors = results.filter((r) => r.status === 'error').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const cases = results.map((r) => {
    const name = r.variant ? `${r.scenario} (${r.variant})` : r.scenario;
    const open = `  <testcase classname="pgdrill" name="${xml(name)}" time="${seconds(r)}">`;
    const props = `    <system-out>${xml(`RTO ${formatDuration(r.rtoMs)}; time to detect ${formatDuration(r.ttdMs)}; lost ${r.lostWrites} of ${r.ackedWrites}; RPO ${formatDuration(r.rpoMs)}; requests ${r.requests}, failed ${r.failedRequests}`)}</system-out>`;
    if (r.status === 'skipped') return `${open}\n    <skipped message="${xml(r.reasons.join('; '))}"/>\n  </testcase>`;
    if (r.status === 'error') return `${open}\n    <error message="${xml(r.reasons.join('; '))}"/>\n${props}\n  </testcase>`;
    if (r.status !== 'passed') return `${open}\n    <failure message="${xml(failureMessage(r))}" type="${r.status}"/>\n${props}\n  </testcase>`;
    const regression = regressions.get(r.scenario);
    if (regression) return `${open}\n    <failure message="${xml(`regression: ${regression}`)}" type="regression"/>\n${props}\n  </testcase>`;
    return `${open}\n${props}\n  </testcase>`;
  });
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pgdrill" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n<testsuite name="pgdrill recovery drills" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${cases.join('\n')}\n</testsuite>\n</testsuites>\n`;
  writeReportFile(file, body);
}
