import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';
import type { DrillResult } from '../core/result.ts';
import { ensureDir } from '../util/safe-dir.ts';

/** One line of the history file: what a drill measured, and when. */
export interface HistoryEntry {
  at: string;
  scenario: string;
  variant: string | null;
  status: DrillResult['status'];
  rtoMs: number | null;
  rpoMs: number | null;
  lostWrites: number;
  objectives: DrillResult['objectives'];
  /** `gameday` for a game day (a person recovered); absent for unattended drills. */
  mode?: 'gameday';
  /** Who recovered, on a game day. */
  operator?: string;
}

/** The default history file of a working directory. */
export function defaultHistoryFile(cwd = process.cwd()): string {
  return path.join(cwd, '.pgdrill', 'history.jsonl');
}

/** Appends one entry per result to the history (JSON lines). */
export function appendHistory(file: string, results: readonly DrillResult[]): void {
  ensureDir(path.dirname(file), { what: 'history directory', nextStep: 'Choose a --history file in a directory you can write to, or pass --no-history.' });
  const lines = results.map((r) => JSON.stringify({ at: r.finishedAt, scenario: r.scenario, variant: r.variant, status: r.status, rtoMs: r.rtoMs, rpoMs: r.rpoMs, lostWrites: r.lostWrites, objectives: r.objectives, ...(r.mode ? { mode: r.mode } : {}), ...(r.operator ? { operator: r.operator } : {}) } satisfies HistoryEntry));
  if (lines.length) appendFileSync(file, `${lines.join('\n')}\n`);
}

/** Reads the history; a missing file is an empty history, unreadable lines are skipped and counted; a file that cannot be read is a `UserError`. */
export function readHistory(file: string): { entries: HistoryEntry[]; skipped: number } {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
    throw new UserError(`The history file ${file} could not be read: ${errorMessage(error)}.`, 'Give --file the history file `pgdrill ci` writes (by default .pgdrill/history.jsonl).');
  }
  const entries: HistoryEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n').filter((l) => l.trim())) {
    try {
      entries.push(JSON.parse(line) as HistoryEntry);
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}
