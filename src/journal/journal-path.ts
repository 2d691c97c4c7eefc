import path from 'node:path';

/** The default journal of a new session: `.pgdrill/journals/<runbook>-<UTC timestamp>.jsonl` under `cwd`. */
export function defaultJournalPath(runbookId: string, cwd = process.cwd(), now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.join(cwd, '.pgdrill', 'journals', `${runbookId}-${stamp}.jsonl`);
}
