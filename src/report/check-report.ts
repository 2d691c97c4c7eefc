import type { CheckResult } from '../checks/check.ts';
import { redact, redactDeep } from '../util/redact.ts';
import { writeReportFile } from '../util/safe-dir.ts';
import { xml } from './junit-report.ts';

/** The `--json` document of `pgdrill check`: the overall status and every check's result. */
export interface CheckReport {
  status: 'pass' | 'warn' | 'fail';
  target: string;
  checkedAs: string;
  at: string;
  checks: CheckResult[];
}

/** One line per check: status, id, what was found, what the seed asks (and the fix, when it is not a pass). */
export function renderCheckLine(r: CheckResult): string {
  const head = `${r.status.padEnd(4)}  ${r.id.padEnd(27)} ${r.found}`;
  if (r.status === 'pass' || r.status === 'skip') return redact(head);
  return redact(`${head} · seed: ${r.expected} (${r.seedSection}) · fix: ${r.fix ?? '—'}`);
}

/** The closing line: how many checks passed, warned, failed, skipped, and the overall status. */
export function renderCheckTotals(results: readonly CheckResult[], status: CheckReport['status']): string {
  const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  return `${results.length} checks: ${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail, ${n('skip')} skip: ${status.toUpperCase()}`;
}

/** Writes the `--json` report (secrets redacted). */
export function writeCheckJson(file: string, report: CheckReport): void {
  writeReportFile(file, `${JSON.stringify(redactDeep(report), null, 2)}\n`);
}

/**
 * Writes JUnit XML: one test case per check, in the suite "pgdrill
 * readiness". A failed check (and a warning, with `failOn: 'warn'`) is a
 * `<failure>` whose message says what was found and the fix; a skipped
 * check is `<skipped>` with its reason.
 */
export function writeCheckJunit(file: string, results: readonly CheckResult[], failOn: 'fail' | 'warn'): void {
  const failing = (r: CheckResult) => r.status === 'fail' || (failOn === 'warn' && r.status === 'warn');
  const failures = results.filter(failing).length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  const cases = results.map((r) => {
    const open = `  <testcase classname="pgdrill.check.${xml(r.group)}" name="${xml(r.id)}" time="0">`;
    const out = `    <system-out>${xml(`${r.status}: ${r.found} (seed: ${r.expected}; ${r.seedSection})`)}</system-out>`;
    if (failing(r)) return `${open}\n    <failure message="${xml(`${r.found}; fix: ${r.fix ?? '—'}`)}" type="${r.status}"/>\n${out}\n  </testcase>`;
    if (r.status === 'skip') return `${open}\n    <skipped message="${xml(r.found)}"/>\n${out}\n  </testcase>`;
    return `${open}\n${out}\n  </testcase>`;
  });
  const attrs = `tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  writeReportFile(file, `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pgdrill" ${attrs}>\n<testsuite name="pgdrill readiness" ${attrs}>\n${cases.join('\n')}\n</testsuite>\n</testsuites>\n`);
}

const ICON: Record<CheckResult['status'], string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skip: '⏭️ skip' };

/** A Markdown table of the checks, for $GITHUB_STEP_SUMMARY. */
export function renderCheckMarkdown(report: CheckReport): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`## pgdrill readiness: ${report.status}`, '', `${report.target}, checked as ${report.checkedAs}`, '', '| check | status | found | fix |', '|---|---|---|---|'];
  for (const r of report.checks) lines.push(`| ${r.id} | ${ICON[r.status]} | ${cell(r.found)} | ${cell(r.fix ?? '')} |`);
  return redact(`${lines.join('\n')}\n`);
}
