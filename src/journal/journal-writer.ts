import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';
import { redactDeep } from '../util/redact.ts';
import { ensureDir } from '../util/safe-dir.ts';
import { lockJournal } from './journal-lock.ts';
import type { JournalRead } from './journal-reader.ts';
import type { JournalEntry, JournalRecord } from './records.ts';

/** Anything a session can record to: the journal file, or a test's own sink. */
export interface JournalSink {
  /** The journal file's path, for the operator. */
  readonly path: string;
  /** Stamps, redacts, writes and syncs one record; returns it as written. */
  append(entry: JournalEntry, t: number): JournalRecord;
  close(): void;
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to sync a directory; the file itself is synced.
  }
}

/**
 * The append-only journal file of one guided session: one JSON record per
 * line, every string redacted, each line written whole and fsynced before
 * `append` returns, so that a `kill -9` or a power loss leaves at most the
 * last line cut short. Holds the journal's lock while open.
 */
export class JournalWriter implements JournalSink {
  readonly path: string;
  private fd: number | undefined;
  private nextSeq: number;
  private readonly release: () => void;

  private constructor(file: string, fd: number, nextSeq: number, release: () => void) {
    this.path = file;
    this.fd = fd;
    this.nextSeq = nextSeq;
    this.release = release;
  }

  /** Starts a new journal; refuses to write over an existing one. */
  static create(file: string): JournalWriter {
    const resolved = path.resolve(file);
    ensureDir(path.dirname(resolved), { what: 'journal directory', nextStep: 'Choose a --journal path in a directory you can write to.' });
    const release = lockJournal(resolved);
    let fd: number;
    try {
      fd = openSync(resolved, 'ax', 0o600);
    } catch (error) {
      release();
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UserError(`The journal ${file} already exists.`, `Continue that session with --resume ${file}, or choose another --journal.`);
      }
      throw new UserError(`Could not create the journal ${file}: ${errorMessage(error)}.`, 'Choose a writable --journal path.');
    }
    syncDirectory(path.dirname(resolved));
    return new JournalWriter(resolved, fd, 1, release);
  }

  /**
   * Reopens a journal that was read with `readJournal`, to append to it. A
   * last line that was cut short is removed first (the caller records that
   * in the session-resume record); a complete last line missing its newline
   * gets one.
   */
  static reopen(read: JournalRead): JournalWriter {
    const release = lockJournal(read.path);
    let fd: number;
    try {
      fd = openSync(read.path, 'a');
      if (read.truncatedTail) {
        ftruncateSync(fd, read.goodBytes);
        fsyncSync(fd);
      } else if (read.missingNewline) {
        writeAll(fd, Buffer.from('\n'));
        fsyncSync(fd);
      }
    } catch (error) {
      release();
      throw new UserError(`Could not reopen the journal ${read.path} for writing: ${errorMessage(error)}.`, 'Check the file and its directory are writable.');
    }
    const last = read.records.at(-1);
    return new JournalWriter(read.path, fd, (last?.seq ?? 0) + 1, release);
  }

  append(entry: JournalEntry, t: number): JournalRecord {
    if (this.fd === undefined) throw new UserError(`The journal ${this.path} is closed.`);
    const record = redactDeep({ seq: this.nextSeq, ts: new Date().toISOString(), t: Math.max(0, Math.round(t)), ...entry }) as JournalRecord;
    try {
      writeAll(this.fd, Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'));
      fsyncSync(this.fd);
    } catch (error) {
      throw new UserError(`Could not write to the journal ${this.path}: ${errorMessage(error)}.`, 'Free space or fix permissions, then resume the session with --resume.');
    }
    this.nextSeq += 1;
    return record;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } finally {
      this.fd = undefined;
      this.release();
    }
  }
}
