import { describe, expect, it } from 'vitest';
import { applyRecord, closeAtJournalEnd, foldRecords } from '../../src/guide/session-state.ts';
import { JOURNAL_FORMAT, type JournalEntry, type JournalRecord } from '../../src/journal/records.ts';

/** Records with chosen incident-clock times, as a journal would hold them. */
function journal(...entries: Array<[number, JournalEntry]>): JournalRecord[] {
  return entries.map(([t, e], i) => ({ ...e, seq: i + 1, t, ts: new Date(Date.UTC(2024, 0, 1) + t).toISOString() }) as JournalRecord);
}

const identity = { operator: 'op', host: 'h', pid: 1, mode: 'interactive' as const };
const start: JournalEntry = {
  type: 'session-start', format: JOURNAL_FORMAT, sessionId: 's', startedAt: '2024-01-01T00:00:00.000Z',
  runbook: { id: 'rb', title: 'RB' }, steps: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }],
  target: { kind: 'lab', name: 'lab:x', isLab: true }, allowDestructive: false, ...identity,
};

describe('session state reducer', () => {
  it('counts a step from its first start to its end, retries included, and finishes when every step is done or skipped', () => {
    const state = foldRecords(journal(
      [0, start],
      [100, { type: 'step-start', stepId: 'a', attempt: 1, action: 'run' }],
      [150, { type: 'step-output', stepId: 'a', line: 'hello' }],
      [300, { type: 'step-end', stepId: 'a', status: 'failed', by: 'automatic', durationMs: 200, detail: 'boom' }],
      [1000, { type: 'step-start', stepId: 'a', attempt: 2, action: 'run' }],
      [1200, { type: 'step-end', stepId: 'a', status: 'done', by: 'automatic', durationMs: 200 }],
      [1500, { type: 'step-skip', stepId: 'b', reason: 'not needed' }],
      [2000, { type: 'step-manual', stepId: 'c', reason: 'by hand', instructions: 'do it' }],
      [2100, { type: 'note', text: 'looks fine', stepId: 'c' }],
      [5000, { type: 'step-end', stepId: 'c', status: 'done', by: 'operator', durationMs: 3000 }],
    ));
    expect(state.steps.map((s) => [s.id, s.status, s.durationMs, s.attempts])).toEqual([['a', 'done', 1100, 2], ['b', 'skipped', 0, 0], ['c', 'done', 3000, 0]]);
    expect(state.steps[1]!.skipReason).toBe('not needed');
    expect(state.steps[2]!.by).toBe('operator');
    expect(state.notes).toEqual([expect.objectContaining({ t: 2100, text: 'looks fine', stepId: 'c' })]);
    expect(state.finished).toBe(true);
    expect(state.timeToRecoverMs).toBe(5000);
    expect(state.current).toBe(3);
  });

  it('marks a step that was running when pgdrill died as interrupted, and does not count the time pgdrill was down', () => {
    const crashed = journal(
      [0, start],
      [100, { type: 'step-start', stepId: 'a', attempt: 1, action: 'run' }],
      [400, { type: 'step-output', stepId: 'a', line: 'still going' }],
    );
    const atCrash = closeAtJournalEnd(foldRecords(crashed));
    expect(atCrash.steps[0]).toMatchObject({ status: 'interrupted', durationMs: 300 });
    const resumed = foldRecords([
      ...crashed,
      ...journal(
        [10_000, { type: 'step-interrupted', stepId: 'a', activeUntil: 400, detail: 'pgdrill stopped' }],
        [10_000, { type: 'session-resume', ...identity }],
      ).map((r, i) => ({ ...r, seq: 4 + i })),
    ]);
    expect(resumed.steps[0]).toMatchObject({ status: 'interrupted', durationMs: 300, interruptions: 1 });
    expect(resumed.steps[0]!.activeSince).toBe(10_000);
    const rerun = [
      { ...journal([10_100, { type: 'step-start', stepId: 'a', attempt: 2, action: 'run' }])[0]!, seq: 6 },
      { ...journal([10_300, { type: 'step-end', stepId: 'a', status: 'done', by: 'automatic', durationMs: 200 }])[0]!, seq: 7 },
    ];
    const done = rerun.reduce(applyRecord, resumed);
    expect(done.steps[0]).toMatchObject({ status: 'done', durationMs: 300 + 300, attempts: 2 });
  });

  it('keeps a step that waited for a person waiting after a quit and a resume, counting only the time the session was open', () => {
    const state = foldRecords(journal(
      [0, start],
      [1000, { type: 'step-manual', stepId: 'a', reason: 'by hand', instructions: 'do it' }],
      [3000, { type: 'session-end', outcome: 'quit' }],
      [9000, { type: 'session-resume', ...identity }],
      [9500, { type: 'step-end', stepId: 'a', status: 'done', by: 'operator', durationMs: 500 }],
    ));
    expect(state.steps[0]).toMatchObject({ status: 'done', durationMs: 2500 });
    expect(state.ended).toBeUndefined();
    expect(state.resumes).toHaveLength(1);
  });

  it('never mutates the state it is given (a UI compares snapshots by reference)', () => {
    const [first, second] = journal([0, start], [10, { type: 'step-start', stepId: 'a', attempt: 1, action: 'run' }]);
    const before = foldRecords([first!]);
    const frozen = JSON.stringify(before);
    const after = applyRecord(before, second!);
    expect(JSON.stringify(before)).toBe(frozen);
    expect(after.steps[0]).not.toBe(before.steps[0]);
    expect(after.steps[1]).toBe(before.steps[1]);
  });
});
