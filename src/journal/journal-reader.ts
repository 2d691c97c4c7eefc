import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';
import { JOURNAL_FORMAT, RECORD_TYPES, type JournalRecord } from './records.ts';

/**
 * A journal as read back: every complete record in order, and what was
 * wrong with its end, if anything. `goodBytes` is the length of the file up
 * to and including the last complete line.
 */
export interface JournalRead {
  path: string;
  records: JournalRecord[];
  goodBytes: number;
  /** The last line was cut short (power loss or kill mid-write): it is not in `records`. */
  truncatedTail?: { bytes: number; text: string };
  /** The last line is a whole record without its newline: it is in `records`. */
  missingNewline: boolean;
}

function parseRecord(text: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.type !== 'string' || !RECORD_TYPES.has(r.type) || typeof r.seq !== 'number' || typeof r.t !== 'number' || typeof r.ts !== 'string') return undefined;
  return value as JournalRecord;
}

/**
 * Reads a journal written by `JournalWriter`. A cut-short last line is
 * tolerated and reported in `truncatedTail`; any other unreadable line, a
 * missing session-start or an unknown format is a `UserError`.
 */
export function readJournal(file: string): JournalRead {
  const resolved = path.resolve(file);
  let data: Buffer;
  try {
    data = readFileSync(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `There is no journal at ${file}.` : `The journal ${file} could not be read: ${errorMessage(error)}.`,
      'Give the path of a journal written by `pgdrill guide` (by default under .pgdrill/journals/).',
    );
  }
  const lastNewline = data.lastIndexOf(0x0a);
  const goodBytes = lastNewline + 1;
  const lines = data.subarray(0, goodBytes).toString('utf8').split('\n');
  lines.pop(); // after the last newline
  const records: JournalRecord[] = [];
  for (const [i, line] of lines.entries()) {
    const record = parseRecord(line);
    if (!record) {
      throw new UserError(`Line ${i + 1} of the journal ${file} is not a pgdrill journal record; the file was changed after pgdrill wrote it.`, 'Restore the journal from a copy; pgdrill only tolerates a cut-short last line.');
    }
    records.push(record);
  }
  let truncatedTail: JournalRead['truncatedTail'];
  let missingNewline = false;
  if (goodBytes < data.length) {
    const tailText = data.subarray(goodBytes).toString('utf8');
    const whole = parseRecord(tailText);
    if (whole) {
      records.push(whole);
      missingNewline = true;
    } else {
      truncatedTail = { bytes: data.length - goodBytes, text: tailText.slice(0, 200) };
    }
  }
  const first = records[0];
  if (!first) throw new UserError(`The journal ${file} holds no complete record.`, 'Start a new session without --resume.');
  if (first.type !== 'session-start' || first.format !== JOURNAL_FORMAT) {
    throw new UserError(`The journal ${file} does not start with a ${JOURNAL_FORMAT} session-start record.`, 'Give the path of a journal written by `pgdrill guide`.');
  }
  const result: JournalRead = { path: resolved, records, goodBytes: missingNewline ? data.length : goodBytes, missingNewline };
  if (truncatedTail) result.truncatedTail = truncatedTail;
  return result;
}

/** One sentence about a cut-short last line, for the operator and the report. */
export function describeTruncatedTail(tail: { bytes: number }): string {
  return `The journal's last line was cut short (${tail.bytes} bytes, written when pgdrill was killed or the machine lost power mid-write); it was left out, and everything before it is intact.`;
}
