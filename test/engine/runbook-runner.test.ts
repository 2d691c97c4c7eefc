import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { defineRunbook, type Runbook, type StepContext } from '../../src/core/runbook.ts';
import type { RunbookEvent } from '../../src/engine/events.ts';
import { runRunbookUnattended } from '../../src/engine/runbook-runner.ts';
import type { StepContextHandle } from '../../src/engine/step-context.ts';
import { DrillClock } from '../../src/measure/clock.ts';

/** A context with no database: these runbooks only exercise the engine's sequencing. */
const contexts: StepContextHandle = {
  forStep: (output, signal) => ({ output, signal }) as unknown as StepContext,
  close: async () => {},
};

function run(runbook: Runbook, signal = new AbortController().signal) {
  const events: RunbookEvent[] = [];
  return runRunbookUnattended(runbook, contexts, { clock: new DrillClock(), signal, onEvent: (e) => events.push(e) }).then((steps) => ({ steps, events }));
}

const base = { why: 'because', expect: 'something' };

describe('runbook engine (unattended)', () => {
  it('polls a verification until it holds, and records each step in order', async () => {
    let checks = 0;
    const { steps, events } = await run(
      defineRunbook({
        id: 'poll',
        title: 't',
        summary: 's',
        steps: [
          { id: 'act', title: 'act', ...base, run: async (ctx) => ctx.output('acted') },
          { id: 'wait', title: 'wait', ...base, verifyIntervalMs: 10, verify: async () => ({ ok: ++checks >= 3, detail: `check ${checks}` }) },
        ],
      }),
    );
    expect(steps.map((s) => [s.id, s.status])).toEqual([['act', 'done'], ['wait', 'done']]);
    expect(checks).toBe(3);
    expect(steps[1]!.detail).toBe('check 3');
    expect(events.map((e) => e.type)).toEqual(['step-start', 'step-output', 'step-end', 'step-start', 'step-verify', 'step-end']);
  });

  it('stops at a failed step and records the rest as skipped', async () => {
    const { steps } = await run(
      defineRunbook({
        id: 'fail',
        title: 't',
        summary: 's',
        steps: [
          { id: 'boom', title: 'boom', ...base, run: async () => { throw new Error('disk full'); } },
          { id: 'after', title: 'after', ...base, run: async () => {} },
        ],
      }),
    );
    expect(steps.map((s) => [s.id, s.status, s.detail])).toEqual([['boom', 'failed', 'disk full'], ['after', 'skipped', 'not run: step "boom" failed']]);
  });

  it('fails a verification that does not hold within the step timeout, saying what it last saw', async () => {
    const { steps } = await run(
      defineRunbook({ id: 'slow', title: 't', summary: 's', steps: [{ id: 'never', title: 'never', ...base, timeoutMs: 200, verifyIntervalMs: 20, verify: async () => ({ ok: false, detail: 'still 503' }) }] }),
    );
    expect(steps[0]!.status).toBe('failed');
    expect(steps[0]!.detail).toMatch(/did not hold within 200 ms; last seen: still 503/);
    expect(steps[0]!.durationMs).toBeGreaterThanOrEqual(150);
    expect(steps[0]!.durationMs).toBeLessThan(1000);
  });

  it('marks the running step interrupted when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT')), 50);
    const { steps } = await run(
      defineRunbook({ id: 'int', title: 't', summary: 's', steps: [{ id: 'long', title: 'long', ...base, run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) }, { id: 'next', title: 'next', ...base, run: async () => {} }] }),
      controller.signal,
    );
    expect(steps.map((s) => s.status)).toEqual(['interrupted', 'skipped']);
  });

  it('rejects an invalid runbook before anything runs, naming every problem', () => {
    expect(() => defineRunbook({ id: 'Bad', title: '', summary: 's', steps: [{ id: 'a', title: 'a', ...base }, { id: 'a', title: 'a', ...base, run: async () => {} }] })).toThrow(UserError);
    try {
      defineRunbook({ id: 'Bad', title: '', summary: 's', steps: [{ id: 'a', title: 'a', ...base }, { id: 'a', title: 'a', ...base, run: async () => {} }] });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/id: must be kebab-case/);
      expect(message).toMatch(/title: Too small/i);
      expect(message).toMatch(/a step needs run, verify, a SQL command \(with its database\), a shell command or manual instructions/);
      expect(message).toMatch(/duplicate step id "a"/);
    }
  });
});
