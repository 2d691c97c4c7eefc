import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import { JournalWriter } from '../../src/journal/journal-writer.ts';
import { JOURNAL_FORMAT, type JournalEntry } from '../../src/journal/records.ts';
import { registerSecret } from '../../src/util/redact.ts';
import { tempDir } from '../helpers/test-lab.ts';

const start: JournalEntry = {
  type: 'session-start', format: JOURNAL_FORMAT, sessionId: 's1', startedAt: new Date().toISOString(),
  runbook: { id: 'rb', title: 'Runbook' }, steps: [{ id: 'a', title: 'A' }], target: { kind: 'lab', name: 'lab:x', isLab: true },
  allowDestructive: false, operator: 'op', host: 'h', pid: process.pid, mode: 'plain',
};

function newJournal(): string {
  return path.join(tempDir('journal'), 'sub', 'j.jsonl');
}

describe('journal writer and reader', () => {
  it('appends one redacted JSON record per line, numbered and stamped, and reads them back in order', () => {
    const file = newJournal();
    registerSecret('hunter2-registered');
    const w = JournalWriter.create(file);
    w.append(start, 0);
    w.append({ type: 'step-start', stepId: 'a', attempt: 1, action: 'run' }, 5);
    w.append({ type: 'step-output', stepId: 'a', line: 'url postgres://admin:topsecret@db:5432/x and hunter2-registered' }, 7.6);
    w.close();
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('topsecret');
    expect(text).not.toContain('hunter2-registered');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seq, l.type, l.t])).toEqual([[1, 'session-start', 0], [2, 'step-start', 5], [3, 'step-output', 8]]);
    expect(lines[2].line).toBe('url postgres://admin:***@db:5432/x and ***');
    expect(Date.parse(lines[0].ts)).not.toBeNaN();
    const read = readJournal(file);
    expect(read.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(read.truncatedTail).toBeUndefined();
  });

  it('refuses to start a journal over an existing one, and a second writer while the first holds it', () => {
    const file = newJournal();
    const w = JournalWriter.create(file);
    w.append(start, 0);
    expect(() => JournalWriter.reopen(readJournal(file))).toThrow(/in use by pgdrill process/);
    w.close();
    expect(() => JournalWriter.create(file)).toThrow(/already exists.*|Continue that session/s);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over the lock of a writer that died (kill -9 leaves the lock behind)', () => {
    const file = newJournal();
    const w = JournalWriter.create(file);
    w.append(start, 0);
    w.close();
    // What kill -9 leaves: the lock of a process that is gone (pid 2^22 + 1 is above Linux's default pid_max).
    writeFileSync(`${file}.lock`, String(4_194_305));
    const again = JournalWriter.reopen(readJournal(file));
    again.append({ type: 'note', text: 'after the crash' }, 10);
    again.close();
    expect(readJournal(file).records.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('tolerates and reports a cut-short last line, and a resume removes it before appending', () => {
    const file = newJournal();
    const w = JournalWriter.create(file);
    w.append(start, 0);
    w.append({ type: 'step-start', stepId: 'a', attempt: 1, action: 'run' }, 5);
    w.close();
    const partial = '{"seq":3,"ts":"2024-01-01T00:00:00.000Z","t":9,"type":"step-out';
    appendFileSync(file, partial);
    const read = readJournal(file);
    expect(read.records.map((r) => r.type)).toEqual(['session-start', 'step-start']);
    expect(read.truncatedTail).toEqual({ bytes: partial.length, text: partial });
    const resumed = JournalWriter.reopen(read);
    resumed.append({ type: 'session-resume', operator: 'op', host: 'h', pid: process.pid, mode: 'plain', repairedTail: read.truncatedTail! }, 20);
    resumed.close();
    const again = readJournal(file);
    expect(again.truncatedTail).toBeUndefined();
    expect(again.records.map((r) => [r.seq, r.type])).toEqual([[1, 'session-start'], [2, 'step-start'], [3, 'session-resume']]);
  });

  it('keeps a whole last record that lost only its newline, and adds the newline on resume', () => {
    const file = newJournal();
    const w = JournalWriter.create(file);
    w.append(start, 0);
    w.close();
    appendFileSync(file, JSON.stringify({ seq: 2, ts: new Date().toISOString(), t: 3, type: 'note', text: 'kept' }));
    const read = readJournal(file);
    expect(read.missingNewline).toBe(true);
    expect(read.records.at(-1)).toMatchObject({ type: 'note', text: 'kept' });
    const resumed = JournalWriter.reopen(read);
    resumed.append({ type: 'note', text: 'next' }, 4);
    resumed.close();
    expect(readJournal(file).records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('rejects a journal damaged anywhere but its last line, or one that is not a journal, naming the problem', () => {
    const file = newJournal();
    const w = JournalWriter.create(file);
    w.append(start, 0);
    w.append({ type: 'note', text: 'x' }, 1);
    w.close();
    writeFileSync(file, readFileSync(file, 'utf8').replace('"type":"note"', '"type":"no'));
    expect(() => readJournal(file)).toThrow(/Line 2 of the journal .* is not a pgdrill journal record/);
    const other = path.join(tempDir('journal'), 'other.jsonl');
    writeFileSync(other, '{"hello": "world"}\n');
    expect(() => readJournal(other)).toThrow(UserError);
    expect(() => readJournal(path.join(tempDir('journal'), 'missing.jsonl'))).toThrow(/There is no journal at/);
  });
});
