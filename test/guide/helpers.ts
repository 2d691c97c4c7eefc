import os from 'node:os';
import path from 'node:path';
import { inProcessMemory, type Runbook, type StepCapability, type StepContext } from '../../src/core/runbook.ts';
import type { Target } from '../../src/core/target.ts';
import type { StepContextHandle } from '../../src/engine/step-context.ts';
import { SessionClock } from '../../src/guide/session-clock.ts';
import { checkResumable } from '../../src/guide/open-session.ts';
import { GuideSession } from '../../src/guide/session.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import { JournalWriter } from '../../src/journal/journal-writer.ts';
import { tempDir } from '../helpers/test-lab.ts';

/** A target with no server behind it: these sessions only exercise sequencing, journaling and the UI. */
export function fakeTarget(overrides: Partial<Target> = {}): Target {
  return {
    kind: 'lab',
    name: 'lab:test',
    isLab: true,
    endpoint: { host: '127.0.0.1', port: 1 },
    adminUrl: () => 'postgres://pgdrill:s3cret-pass@127.0.0.1:1/postgres',
    clientEnv: () => ({}),
    serviceUrl: () => { throw new Error('no service'); },
    ...overrides,
  };
}

/** A step context with no real database: every SQL statement answers one row `{ count: 1 }`. */
export const noDatabase: StepContextHandle = {
  forStep: (output, signal) => ({ output, signal, target: fakeTarget(), memory: inProcessMemory(), sql: async () => [{ count: 1 }] }) as unknown as StepContext,
  close: async () => {},
};

interface FakeOptions {
  target?: Target;
  allowDestructive?: boolean;
  missing?: StepCapability[];
  /** The journal to write (default: a new file in a temp dir). */
  journal?: JournalWriter;
}

/** A started session on a fake target, journaling to a fresh file in a temp dir. */
export function fakeSession(runbook: Runbook, options: FakeOptions = {}): GuideSession {
  const session = unstarted(runbook, options.journal ?? JournalWriter.create(path.join(tempDir('guide'), 'journal.jsonl')), options);
  session.start();
  return session;
}

/** A session resumed from the journal file of an earlier one (which must be closed or dead). */
export function resumeFakeSession(runbook: Runbook, file: string, options: FakeOptions = {}): GuideSession {
  const read = readJournal(file);
  const state = checkResumable(read, runbook);
  const session = unstarted(runbook, JournalWriter.reopen(read), options, Date.parse(state.startedAt));
  session.resume(state, read.truncatedTail);
  return session;
}

function unstarted(runbook: Runbook, journal: JournalWriter, options: FakeOptions, startedWall?: number): GuideSession {
  return new GuideSession({
    runbook,
    target: options.target ?? fakeTarget(),
    contexts: noDatabase,
    journal,
    clock: new SessionClock(startedWall),
    missing: options.missing ?? ['link', 'serviceUrl', 'service'],
    allowDestructive: options.allowDestructive ?? false,
    identity: { operator: 'tester', host: os.hostname(), pid: process.pid, mode: 'interactive' },
  });
}

/** Step fields every test step needs. */
export const explained = { why: 'because it matters', expect: 'something visible' };
