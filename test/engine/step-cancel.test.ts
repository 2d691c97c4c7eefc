import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { defineRunbook } from '../../src/core/runbook.ts';
import { runRunbookUnattended } from '../../src/engine/runbook-runner.ts';
import { openStepContext, type StepContextHandle } from '../../src/engine/step-context.ts';
import type { Lab } from '../../src/lab/lab.ts';
import { DrillClock } from '../../src/measure/clock.ts';
import { processesMatching, startTestLab } from '../helpers/test-lab.ts';

const base = { why: 'because', expect: 'something' };
let lab: Lab;
let dispose: () => Promise<void>;
let contexts: StepContextHandle;

beforeAll(async () => {
  ({ lab, dispose } = await startTestLab('step-cancel'));
  contexts = openStepContext({ target: lab, binaries: lab.pg(), lab });
}, 120_000);

afterAll(async () => {
  await contexts?.close();
  await dispose?.();
});

async function backendsSleeping(marker: string): Promise<number> {
  const client = new pg.Client({ connectionString: lab.adminUrl('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()", [`%${marker}%`]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe('a step that is cancelled really stops', () => {
  it('a timeout kills the child process a step started through ctx.exec', async () => {
    // A distinctive argument, so that the process can be found (sleep ignores the fraction's digits' meaning).
    const seconds = '30.4242';
    const started = performance.now();
    const steps = await runRunbookUnattended(
      defineRunbook({ id: 'exec', title: 't', summary: 's', steps: [{ id: 'sleep', title: 'sleep', ...base, timeoutMs: 500, run: async (ctx) => { await ctx.exec('sleep', [seconds]); } }] }),
      contexts,
      { clock: new DrillClock(), signal: new AbortController().signal },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(steps[0]).toMatchObject({ id: 'sleep', status: 'failed' });
    expect(steps[0]!.detail).toMatch(/timed out after 500 ms/);
    expect(await processesMatching(seconds)).toEqual([]);
  });

  it('a timeout kills the whole process tree of a shell step (zx), not only its shell', async () => {
    const seconds = '32.4242';
    const started = performance.now();
    const steps = await runRunbookUnattended(
      defineRunbook({ id: 'shell', title: 't', summary: 's', steps: [{ id: 'sleep', title: 'sleep', ...base, timeoutMs: 500, command: { kind: 'shell', text: `sleep ${seconds} & sleep ${seconds}; wait` } }] }),
      contexts,
      { clock: new DrillClock(), signal: new AbortController().signal },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(steps[0]).toMatchObject({ id: 'sleep', status: 'failed' });
    expect(steps[0]!.detail).toMatch(/timed out after 500 ms/);
    expect(await processesMatching(seconds)).toEqual([]);
  });

  it('a timeout cancels the query a step runs through ctx.sql (the backend stops running it)', async () => {
    const started = performance.now();
    const steps = await runRunbookUnattended(
      defineRunbook({ id: 'sql', title: 't', summary: 's', steps: [{ id: 'sleep', title: 'sleep', ...base, timeoutMs: 500, run: async (ctx) => { await ctx.sql('postgres', 'SELECT pg_sleep(30) /* step-cancel-marker */'); } }] }),
      contexts,
      { clock: new DrillClock(), signal: new AbortController().signal },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(steps[0]).toMatchObject({ id: 'sleep', status: 'failed' });
    expect(steps[0]!.detail).toMatch(/timed out after 500 ms/);
    // The cancelled backend is idle again (or gone): nobody is sleeping on behalf of the step.
    await expect.poll(() => backendsSleeping('step-cancel-marker') , { timeout: 2_000 }).toBe(0);
    // The step's connection is usable again for the next step.
    expect(await contexts.forStep(() => {}, new AbortController().signal).sql('postgres', 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('an abort (SIGINT) stops the step the same way and marks it interrupted', async () => {
    const controller = new AbortController();
    const seconds = '31.4242';
    setTimeout(() => controller.abort(new Error('interrupted by SIGINT')), 500);
    const steps = await runRunbookUnattended(
      defineRunbook({ id: 'abort', title: 't', summary: 's', steps: [{ id: 'both', title: 'both', ...base, run: async (ctx) => { await Promise.all([ctx.exec('sleep', [seconds]), ctx.sql('postgres', 'SELECT pg_sleep(30) /* step-abort-marker */')]); } }] }),
      contexts,
      { clock: new DrillClock(), signal: controller.signal },
    );
    expect(steps[0]).toMatchObject({ id: 'both', status: 'interrupted' });
    expect(await processesMatching(seconds)).toEqual([]);
    await expect.poll(() => backendsSleeping('step-abort-marker'), { timeout: 2_000 }).toBe(0);
  });
});
