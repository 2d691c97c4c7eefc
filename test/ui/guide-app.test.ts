import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRunbook, type RunbookStep, type StepContext } from '../../src/core/runbook.ts';
import type { GuideSession } from '../../src/guide/session.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import type { UiExit } from '../../src/ui/GuideApp.tsx';
import { guideApp } from '../../src/ui/run-guide-ui.tsx';
import { explained, fakeSession } from '../guide/helpers.ts';
import { frameMatching, KEY, press } from './helpers.ts';

const runbook = (...steps: RunbookStep[]) => defineRunbook({ id: 'ui-runbook', title: 'UI runbook', summary: 'for the UI tests', steps });

const mounted: Array<ReturnType<typeof render>> = [];
afterEach(() => {
  for (const r of mounted.splice(0)) r.unmount();
});

function show(session: GuideSession) {
  const exits: UiExit[] = [];
  const r = render(guideApp({ session, onExit: (e) => exits.push(e), tickMs: 50 }));
  mounted.push(r);
  return { r, exits };
}

describe('guided UI (Ink)', () => {
  it('shows every step with its state, the current step explained with its exact command before it runs, the clock and the keys', async () => {
    let release!: () => void;
    const session = fakeSession(runbook(
      { id: 'count', title: 'Count connections', why: 'Too many clients looks like a lost connection.', expect: 'A handful of connections.', command: { kind: 'sql', database: 'postgres', text: 'SELECT count(*) FROM pg_stat_activity' }, verify: async () => { await new Promise<void>((r) => { release = r; }); return { ok: true, detail: 'counted' }; } },
      { id: 'heal', title: 'Heal', ...explained, run: async () => {} },
    ));
    const { r } = show(session);
    const before = await frameMatching(r, 'incident clock 00:00:00');
    expect(before).toMatch(/pending\s+1\. count/);
    expect(before).toMatch(/pending\s+2\. heal/);
    expect(before).toContain('Step 1 of 2: Count connections');
    expect(before).toContain('Too many clients looks like a lost connection.');
    expect(before).toContain('A handful of connections.');
    expect(before).toContain('SQL on postgres: SELECT count(*) FROM pg_stat_activity');
    expect(before).toContain('Enter run step · s skip · n note · ? keys · q quit');
    await press(r, KEY.enter);
    const running = await frameMatching(r, 'count=1');
    expect(running).toMatch(/running\s+1\. count/);
    expect(running).toContain('n note · ? keys · q interrupt and quit');
    release();
    const after = await frameMatching(r, /done\s+1\. count\s+\d+ ms/);
    expect(after).toContain('✓ count done in');
    expect(after).toContain('Step 2 of 2: Heal');
  });

  it('trims live output to the screen, keeping the newest lines; the journal keeps every line', async () => {
    const session = fakeSession(runbook({ id: 'noisy', title: 'Noisy', ...explained, verifyIntervalMs: 10, timeoutMs: 200, run: async (ctx) => { for (let i = 1; i <= 500; i++) ctx.output(`row ${i}`); }, verify: async () => ({ ok: false, detail: 'replica lag 12 s' }) }));
    const { r } = show(session);
    await press(r, KEY.enter);
    const frame = await frameMatching(r, /Failed/);
    expect(frame).toMatch(/Output \(last \d+ of 500 lines; all of them are in the journal\)/);
    expect(frame).toContain('row 500');
    expect(frame).not.toMatch(/row 1\b/);
    expect(frame.split('\n').length).toBeLessThanOrEqual(30);
    expect(readJournal(session.journalPath).records.filter((x) => x.type === 'step-output')).toHaveLength(500);
  });

  it('shows why a verification failed and lets the operator retry, skip with a reason, or add a note', async () => {
    let healthy = false;
    const session = fakeSession(runbook(
      { id: 'gate', title: 'Service healthy', ...explained, timeoutMs: 100, verifyIntervalMs: 10, verify: async () => ({ ok: healthy, detail: healthy ? 'GET /health → 200' : 'GET /health → 503' }) },
      { id: 'optional', title: 'Optional', ...explained, run: async () => {} },
    ));
    const { r } = show(session);
    await press(r, KEY.enter);
    const failed = await frameMatching(r, /failed\s+1\. gate/);
    expect(failed).toMatch(/Failed\s+verification did not hold within 100 ms; last seen: GET \/health → 503/);
    expect(failed).toContain('r retry · s skip · n note · ? keys · q quit');
    healthy = true;
    await press(r, 'r');
    await frameMatching(r, /done\s+1\. gate/);
    await press(r, 'n');
    await frameMatching(r, 'Note:');
    await press(r, 'paged at 03:12');
    await frameMatching(r, 'Note: paged at 03:12');
    await press(r, KEY.enter);
    await frameMatching(r, 'Note added to the timeline: paged at 03:12');
    await press(r, 's');
    await frameMatching(r, 'Reason for skipping:');
    await press(r, KEY.enter);
    await frameMatching(r, 'needs a reason');
    await press(r, 'not needed tonight');
    await press(r, KEY.enter);
    const summary = await frameMatching(r, 'Recovered: every step done or skipped (1 skipped)');
    expect(summary).toMatch(/Time to recover \S+ (ms|s)/);
    expect(summary).toMatch(/1\. gate\s+done\s+\d+ ms/);
    expect(summary).toContain('optional: not needed tonight');
    expect(summary).toMatch(/\+00:00:0\d paged at 03:12/);
    expect(summary).toContain('Enter exit');
  });

  it('asks for the typed target name before a destructive step, says what it touches, and does not run on a wrong name', async () => {
    let ran = 0;
    const session = fakeSession(runbook({ id: 'terminate-idle', title: 'Terminate idle sessions', ...explained, destructive: { touches: 'idle sessions on payments_db' }, command: { kind: 'action', text: 'terminate the idle sessions on payments_db (pg_terminate_backend)' }, run: async () => { ran++; } }));
    const { r } = show(session);
    const before = await frameMatching(r, 'DANGER');
    expect(before).toMatch(/destructive: touches idle sessions on payments_db\. It runs only after you type the target\s+name lab:test\./);
    await press(r, KEY.enter);
    await frameMatching(r, 'Type lab:test to run this destructive step:');
    await press(r, 'payments_db');
    await press(r, KEY.enter);
    await frameMatching(r, '"payments_db" is not lab:test: the step did not run.');
    expect(ran).toBe(0);
    await press(r, KEY.enter);
    await frameMatching(r, 'Type lab:test to run');
    await press(r, 'lab:test');
    await press(r, KEY.enter);
    await frameMatching(r, 'Recovered');
    expect(ran).toBe(1);
  });

  it('presents a step it cannot do here as manual: instructions, then Enter marks it done', async () => {
    const session = fakeSession(runbook({ id: 'heal', title: 'Heal the path', ...explained, manual: 'Re-enable the route in the firewall console.', run: async (ctx) => { if (!ctx.link) throw new Error('no link'); } }));
    const { r } = show(session);
    await press(r, KEY.enter);
    const manual = await frameMatching(r, 'waiting for you');
    expect(manual).toMatch(/Do\s+Re-enable the route in the firewall console\./);
    expect(manual).toMatch(/Manual\s+pgdrill cannot do this step here/);
    expect(manual).toContain('Enter mark done · s skip');
    await press(r, KEY.enter);
    await frameMatching(r, /done by the operator/);
  });

  it('shows the keys on ?, and q quits keeping the journal (asking again while a step runs)', async () => {
    // A step that works until it is stopped (and stops when its signal says so, as every step must).
    const untilStopped = (ctx: StepContext) => new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    const session = fakeSession(runbook({ id: 'hang', title: 'Hang', ...explained, run: untilStopped }, { id: 'after', title: 'After', ...explained, run: async () => {} }));
    const { r, exits } = show(session);
    await press(r, '?');
    const help = await frameMatching(r, 'Keys');
    for (const k of ['Enter', 's ', 'r ', 'n ', '? ', 'q ', 'Ctrl-C']) expect(help).toContain(k);
    await press(r, 'x'); // closes the help
    await frameMatching(r, 'Enter run step');
    await press(r, KEY.enter);
    await frameMatching(r, /running\s+1\. hang/);
    await press(r, 'q');
    await frameMatching(r, 'Press q again to interrupt it and quit');
    await press(r, 'q');
    await expect.poll(() => exits).toEqual([{ kind: 'quit' }]);
    await frameMatching(r, 'session closed: the journal is kept');
    expect(session.state.steps[0]!.status).toBe('interrupted');
    expect(readJournal(session.journalPath).records.at(-1)).toMatchObject({ type: 'session-end', outcome: 'quit' });
  });

  it('treats Ctrl-C as interrupt-and-quit, recorded in the journal', async () => {
    const session = fakeSession(runbook({ id: 'one', title: 'One', ...explained, run: async () => {} }));
    const { r, exits } = show(session);
    await press(r, KEY.ctrlC);
    await expect.poll(() => exits).toEqual([{ kind: 'interrupted' }]);
    expect(readJournal(session.journalPath).records.at(-1)).toMatchObject({ type: 'session-end', outcome: 'interrupted' });
  });
});
