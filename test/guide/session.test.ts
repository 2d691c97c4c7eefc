import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRunbook, type RunbookStep } from '../../src/core/runbook.ts';
import { foldRecords } from '../../src/guide/session-state.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import { JournalWriter } from '../../src/journal/journal-writer.ts';
import { tempDir } from '../helpers/test-lab.ts';
import { explained, fakeSession, fakeTarget, resumeFakeSession } from './helpers.ts';

const runbook = (...steps: RunbookStep[]) => defineRunbook({ id: 'test-runbook', title: 'Test runbook', summary: 'for tests', steps });
const types = (file: string) => readJournal(file).records.map((r) => (r.type.startsWith('step-') || r.type === 'confirmation' || r.type === 'refusal' ? `${r.type}:${(r as { stepId: string }).stepId}` : r.type));

describe('guided session controller', () => {
  it('runs steps in order, journals every output line and the verification, and ends recovered', async () => {
    let checks = 0;
    const session = fakeSession(runbook(
      { id: 'act', title: 'Act', ...explained, run: async (ctx) => { for (let i = 1; i <= 3; i++) ctx.output(`line ${i}`); ctx.output('two\nlines'); } },
      { id: 'wait', title: 'Wait', ...explained, verifyIntervalMs: 10, verify: async () => ({ ok: ++checks >= 3, detail: checks >= 3 ? 'healthy' : `not yet (${checks})` }) },
    ));
    expect(session.nextAction()).toBe('run');
    await session.run();
    await session.run();
    expect(session.nextAction()).toBe('finished');
    const records = readJournal(session.journalPath).records;
    expect(types(session.journalPath)).toEqual([
      'session-start', 'step-start:act', 'step-output:act', 'step-output:act', 'step-output:act', 'step-output:act', 'step-output:act', 'step-end:act',
      'step-start:wait', 'step-verify:wait', 'step-verify:wait', 'step-verify:wait', 'step-end:wait', 'session-end',
    ]);
    expect(records.filter((r) => r.type === 'step-output').map((r) => (r as { line: string }).line)).toEqual(['line 1', 'line 2', 'line 3', 'two', 'lines']);
    expect(records.filter((r) => r.type === 'step-verify').map((r) => [(r as { ok: boolean }).ok, (r as { detail: string }).detail])).toEqual([[false, 'not yet (1)'], [false, 'not yet (2)'], [true, 'healthy']]);
    expect(records.at(-1)).toMatchObject({ type: 'session-end', outcome: 'recovered' });
    expect(session.state.finished).toBe(true);
    expect(foldRecords(records)).toEqual(session.state);
  });

  it('gates progress on a failing verification: the step fails saying what it saw, and a retry can pass', async () => {
    let healthy = false;
    const session = fakeSession(runbook(
      { id: 'gate', title: 'Gate', ...explained, timeoutMs: 150, verifyIntervalMs: 10, verify: async () => ({ ok: healthy, detail: healthy ? '200 OK' : '503 from /health' }) },
      { id: 'after', title: 'After', ...explained, run: async () => {} },
    ));
    await session.run();
    expect(session.state.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(session.state.steps[0]!.detail).toMatch(/did not hold within 150 ms; last seen: 503 from \/health/);
    expect(session.nextAction()).toBe('retry');
    expect(session.state.current).toBe(0);
    healthy = true;
    await session.run();
    expect(session.state.steps[0]).toMatchObject({ status: 'done', attempts: 2, verification: { ok: true, detail: '200 OK' } });
    expect(session.state.current).toBe(1);
  });

  it('skips only with a reason, never while a step runs', async () => {
    let release!: () => void;
    const session = fakeSession(runbook(
      { id: 'slow', title: 'Slow', ...explained, run: () => new Promise<void>((r) => { release = r; }) },
      { id: 'next', title: 'Next', ...explained, run: async () => {} },
    ));
    const running = session.run();
    expect(session.nextAction()).toBe('busy');
    expect(session.skip('because')).toMatchObject({ ok: false, message: expect.stringMatching(/A step is running/) });
    release();
    await running;
    expect(session.skip('   ')).toMatchObject({ ok: false, message: expect.stringMatching(/needs a reason/) });
    expect(session.skip('done by the DBA already')).toEqual({ ok: true });
    expect(session.state.steps[1]).toMatchObject({ status: 'skipped', skipReason: 'done by the DBA already' });
    expect(session.state.finished).toBe(true);
  });

  it('hands a step whose action needs the drill (the fault proxy, the sample service) to the operator, who marks it done', async () => {
    const session = fakeSession(runbook(
      { id: 'heal', title: 'Heal the path', ...explained, manual: 'Fix the route by hand.', run: async (ctx) => { if (!ctx.link) throw new Error('no link'); }, verify: async (ctx) => ({ ok: Boolean(ctx.link), detail: 'link' }) },
      { id: 'health', title: 'Health', ...explained, manual: 'curl /health', verify: async (ctx) => ({ ok: Boolean(ctx.serviceUrl), detail: 'x' }) },
    ));
    await session.run();
    expect(session.state.steps[0]).toMatchObject({ status: 'manual', manual: true });
    expect(session.state.steps[0]!.manualReason).toMatch(/fault proxy/);
    expect(session.nextAction()).toBe('complete-manual');
    await session.completeManual();
    expect(session.state.steps[0]).toMatchObject({ status: 'done', by: 'operator' });
    expect(session.state.steps[0]!.detail).toMatch(/not verified automatically/);
    // A verification that needs the sample service fails at once, not after its 60 s of polling.
    const started = performance.now();
    await session.run();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(session.state.steps[1]).toMatchObject({ status: 'manual' });
    expect(session.state.steps[1]!.manualReason).toMatch(/sample service/);
  });

  it('puts a step with only manual instructions in the hands of a person as soon as it is current, and checks it with its verification', async () => {
    let fixed = false;
    const session = fakeSession(runbook(
      { id: 'first', title: 'First', ...explained, run: async () => {} },
      { id: 'by-hand', title: 'By hand', ...explained, manual: 'Restart the pooler.' },
      { id: 'checked', title: 'Checked', ...explained, manual: 'Fix it.', timeoutMs: 100, verifyIntervalMs: 10, run: async (ctx) => { void ctx.service; }, verify: async () => ({ ok: fixed, detail: fixed ? 'fixed' : 'still broken' }) },
      { id: 'no-manual', title: 'No manual', ...explained, run: async (ctx) => { void ctx.serviceUrl; } },
    ));
    await session.run();
    expect(session.state.steps[1]).toMatchObject({ status: 'manual' });
    expect(session.nextAction()).toBe('complete-manual');
    await session.run(); // Enter on a manual step marks it done
    expect(session.state.steps[1]).toMatchObject({ status: 'done', by: 'operator', detail: 'done by the operator' });
    await session.run();
    expect(session.state.steps[2]).toMatchObject({ status: 'manual' });
    await session.completeManual();
    expect(session.state.steps[2]).toMatchObject({ status: 'failed' });
    expect(session.state.steps[2]!.detail).toMatch(/still broken/);
    expect(session.nextAction()).toBe('retry');
    fixed = true;
    await session.completeManual();
    expect(session.state.steps[2]).toMatchObject({ status: 'done', by: 'operator', verification: { ok: true, detail: 'fixed' } });
    await session.run();
    expect(session.state.steps[3]).toMatchObject({ status: 'failed' });
    expect(session.state.steps[3]!.detail).toMatch(/gives no manual instructions/);
  });

  it('gives a manual step back to the operator when checking their work was interrupted', async () => {
    const file = path.join(tempDir('guide'), 'manual-check.jsonl');
    const rb = runbook({ id: 'by-hand', title: 'By hand', ...explained, manual: 'Do it.', run: async (ctx) => { void ctx.link; }, verify: () => new Promise(() => {}) }, { id: 'after', title: 'After', ...explained, run: async () => {} });
    const journal = JournalWriter.create(file);
    const first = fakeSession(rb, { journal });
    await first.run(); // becomes manual: its action needs the fault proxy
    expect(first.state.steps[0]).toMatchObject({ status: 'manual' });
    void first.completeManual(); // the check hangs
    await expect.poll(() => first.state.steps[0]!.status).toBe('running');
    journal.close();
    const second = resumeFakeSession(rb, file);
    expect(second.state.steps[0]).toMatchObject({ status: 'interrupted', manual: true });
    expect(second.nextAction()).toBe('complete-manual');
  });

  it('runs a destructive step only after the target name is typed, and journals every confirmation', async () => {
    let ran = 0;
    const session = fakeSession(runbook({ id: 'terminate', title: 'Terminate', ...explained, destructive: { touches: 'idle backends of payments_db' }, run: async () => { ran++; } }));
    expect(session.confirmationFor()).toEqual({ expected: 'lab:test', touches: 'idle backends of payments_db' });
    expect(await session.run()).toMatchObject({ ok: false, message: expect.stringMatching(/type lab:test/) });
    expect(await session.run('payments_db')).toMatchObject({ ok: false, message: '"payments_db" is not lab:test: the step did not run.' });
    expect(ran).toBe(0);
    expect(await session.run(' lab:test ')).toEqual({ ok: true });
    expect(ran).toBe(1);
    const confirmations = readJournal(session.journalPath).records.filter((r) => r.type === 'confirmation');
    expect(confirmations.map((c) => [(c as { typed: string }).typed, (c as { ok: boolean }).ok])).toEqual([['payments_db', false], [' lab:test ', true]]);
  });

  it('refuses a destructive step on a target other than the lab unless destructive steps are allowed', async () => {
    let ran = 0;
    const steps = [{ id: 'promote', title: 'Promote', ...explained, destructive: { touches: 'the replica' }, run: async () => { ran++; } }] as RunbookStep[];
    const remote = fakeTarget({ kind: 'url', name: 'db.example:5432', isLab: false });
    const refused = fakeSession(runbook(...steps), { target: remote });
    expect(refused.nextAction()).toBe('refused');
    expect(await refused.run('db.example:5432')).toMatchObject({ ok: false, message: expect.stringMatching(/--allow-destructive/) });
    expect(refused.state.steps[0]).toMatchObject({ status: 'failed' });
    expect(ran).toBe(0);
    expect(refused.skip('promoted by hand from the console')).toEqual({ ok: true });
    const allowed = fakeSession(runbook(...steps), { target: remote, allowDestructive: true });
    expect(allowed.nextAction()).toBe('run');
    expect(await allowed.run('db.example:5432')).toEqual({ ok: true });
    expect(ran).toBe(1);
  });

  it('records a note with the step in hand', async () => {
    const session = fakeSession(runbook({ id: 'one', title: 'One', ...explained, run: async () => {} }));
    expect(session.note('paged at 03:12 by the on-call bot')).toEqual({ ok: true });
    expect(session.note('  ')).toMatchObject({ ok: false });
    expect(session.state.notes).toEqual([expect.objectContaining({ text: 'paged at 03:12 by the on-call bot', stepId: 'one' })]);
  });

  it('interrupts a running step when the session is quit: recorded interrupted, not done, and resumable', async () => {
    const session = fakeSession(runbook(
      { id: 'forever', title: 'Forever', ...explained, run: async (ctx) => { ctx.output('started'); await new Promise(() => {}); } },
      { id: 'next', title: 'Next', ...explained, run: async () => {} },
    ));
    const running = session.run();
    await expect.poll(() => session.state.steps[0]!.outputLines).toBe(1);
    await session.end('quit', 'the operator quit');
    await running;
    expect(session.state.steps[0]).toMatchObject({ status: 'interrupted' });
    expect(session.state.ended).toMatchObject({ outcome: 'quit' });
    expect(types(session.journalPath).slice(-3)).toEqual(['step-output:forever', 'step-interrupted:forever', 'session-end']);
    expect(session.nextAction()).toBe('ended');
  });

  it('resumes after a crash at the step it was in: the running step reads interrupted, everything before is intact', async () => {
    const file = path.join(tempDir('guide'), 'crash.jsonl');
    let fixed = false;
    const rb = runbook(
      { id: 'first', title: 'First', ...explained, run: async (ctx) => ctx.output('first ran') },
      { id: 'hang', title: 'Hang', ...explained, run: async (ctx) => { ctx.output('working'); if (!fixed) await new Promise(() => {}); } },
      { id: 'last', title: 'Last', ...explained, run: async () => {} },
    );
    const journal = JournalWriter.create(file);
    const first = fakeSession(rb, { journal });
    await first.run();
    void first.run();
    await expect.poll(() => first.state.steps[1]!.outputLines).toBe(1);
    journal.close(); // the process "dies": no session-end, no step-end

    fixed = true;
    const second = resumeFakeSession(rb, file);
    expect(second.state.steps.map((s) => s.status)).toEqual(['done', 'interrupted', 'pending']);
    expect(second.state.steps[1]!.detail).toMatch(/did not finish/);
    expect(second.nextAction()).toBe('run');
    await second.run();
    await second.run();
    expect(second.state.finished).toBe(true);
    const records = readJournal(file).records;
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(types(file)).toEqual([
      'session-start', 'step-start:first', 'step-output:first', 'step-end:first', 'step-start:hang', 'step-output:hang',
      'step-interrupted:hang', 'session-resume', 'step-start:hang', 'step-output:hang', 'step-end:hang', 'step-start:last', 'step-end:last', 'session-end',
    ]);
    expect(foldRecords(records)).toEqual(second.state);
  });
});
