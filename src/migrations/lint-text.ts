import path from 'node:path';
import type { Judgement } from './judgement.ts';
import type { LintReport } from './lint.ts';

function facts(j: Judgement): string {
  const lock = j.lock ? `lock ${j.lock}${j.lockHeld === 'long' ? ' (held for the whole operation)' : ' (brief)'}` : 'no lock on existing tables';
  const rewrite = { yes: 'rewrites the table', no: 'no rewrite', maybe: 'may rewrite the table', scan: 'scans every row (no rewrite)' }[j.rewrites];
  return `${lock} · ${rewrite} · ${j.losesData ? 'CAN LOSE DATA' : 'no data loss'}`;
}

function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

/**
 * The lint as text: per file, each statement with its line and, for each
 * action, the verdict, the lock, the rewrite and the data-loss facts; the
 * reason and the safe form for dangerous ones; a summary line last.
 */
export function lintText(report: LintReport): string[] {
  const lines: string[] = [];
  for (const file of report.files) {
    lines.push(shown(file));
    const statements = report.statements.filter((s) => s.file === file);
    if (statements.length === 0) lines.push('  (no statement)');
    for (const s of statements) {
      const sql = s.sql.replace(/\s+/g, ' ');
      lines.push(`  line ${s.line}: ${sql.length > 100 ? `${sql.slice(0, 99)}…` : sql}`);
      for (const j of s.judgements) {
        const mark = !j.dangerous ? 'ok  ' : s.allowed.includes(j.rule) ? 'allowed' : 'DANGER';
        lines.push(`    ${mark} ${j.rule}: ${j.action}${j.table ? ` on ${j.table}` : ''} — ${facts(j)}`);
        if (j.dangerous || j.rewrites !== 'no' || j.losesData) lines.push(`      ${j.why}`);
        if (j.dangerous && j.safe) lines.push(`      safe form: ${j.safe}`);
        if (j.dangerous && !s.allowed.includes(j.rule)) lines.push(`      intended? put \`-- pgdrill: allow ${j.rule}\` on the line before the statement`);
      }
      for (const note of s.notes) lines.push(`      note: ${note}`);
    }
  }
  const dangerous = report.statements.filter((s) => s.judgements.some((j) => j.dangerous)).length;
  lines.push(
    `${report.statements.length} statement(s) in ${report.files.length} file(s): ${dangerous} dangerous, ${report.blocked} without an override comment${report.blocked ? ' (exit 2)' : ''}.`,
  );
  return lines;
}
