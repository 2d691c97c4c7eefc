import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connectionExhaustion from '../../runbooks/connection-exhaustion.ts';
import { defineRunbook } from '../../src/core/runbook.ts';
import { loadRunbook, runbookIds } from '../../src/engine/catalog.ts';
import { startTestLab } from '../helpers/test-lab.ts';
import { runRunbookUnattended } from '../../src/engine/runbook-runner.ts';
import { openStepContext } from '../../src/engine/step-context.ts';
import { DrillClock } from '../../src/measure/clock.ts';

describe('what the operator is shown is what runs', () => {
  it("refuses a step that shows a 'sql' command but runs something of its own", () => {
    expect(() =>
      defineRunbook({
        id: 'two-truths',
        title: 'Shows one thing, runs another',
        summary: 'A runbook whose step would mislead its operator.',
        steps: [{ id: 'count', title: 'Count', why: 'To know.', expect: 'A number.', command: { kind: 'sql', database: 'postgres', text: 'SELECT 1' }, async run() {} }],
      }),
    ).toThrow(/a step with run\(\) cannot show a 'sql' or 'shell' command: the command shown is what runs/);
  });

  it("refuses a step that shows a 'shell' command but runs something of its own", () => {
    expect(() =>
      defineRunbook({
        id: 'two-truths',
        title: 'Shows one thing, runs another',
        summary: 'A runbook whose step would mislead its operator.',
        steps: [{ id: 'probe', title: 'Probe', why: 'To know.', expect: 'Ready.', command: { kind: 'shell', text: 'pg_isready' }, async run() {} }],
      }),
    ).toThrow(/a step with run\(\) cannot show a 'sql' or 'shell' command: the command shown is what runs/);
  });

  it('no built-in runbook has such a step', async () => {
    const shellSteps: string[] = [];
    for (const runbook of await Promise.all(runbookIds().map((id) => loadRunbook(id)))) {
      for (const step of runbook.steps) {
        const shown = step.command?.kind === 'sql' || step.command?.kind === 'shell';
        expect(shown && step.run !== undefined, `${runbook.id}/${step.id}`).toBe(false);
        if (step.command?.kind === 'shell') shellSteps.push(`${runbook.id}/${step.id}`);
      }
    }
    // Shell steps exist and run as shown (below): the rule is not satisfied by having none.
    expect(shellSteps).toEqual(expect.arrayContaining(['connection-exhaustion/set-idle-transaction-timeout', 'primary-failover/confirm-primary-down']));
  });

  describe('on a real server', () => {
    let env: Awaited<ReturnType<typeof startTestLab>>;
    beforeAll(async () => {
      env = await startTestLab('shown');
    });
    afterAll(async () => {
      await env?.dispose();
    });

    it('the engine runs the ALTER SYSTEM step of connection-exhaustion from its shown text (zx), and its verification holds', async () => {
      const step = connectionExhaustion.steps.find((s) => s.id === 'set-idle-transaction-timeout')!;
      expect(step.command?.kind).toBe('shell');
      expect(step.run).toBeUndefined();
      const contexts = openStepContext({ target: env.lab, binaries: env.lab.pg(), lab: env.lab });
      try {
        const steps = await runRunbookUnattended(defineRunbook({ id: 'one-step', title: 't', summary: 's', steps: [step] }), contexts, { clock: new DrillClock(), signal: new AbortController().signal });
        expect(steps[0]).toMatchObject({ id: step.id, status: 'done' });
      } finally {
        await contexts.close();
      }
      expect(execFileSync(env.lab.pg().bin('psql'), ['-XAt', '-c', "SELECT setting FROM pg_file_settings WHERE name = 'idle_in_transaction_session_timeout' AND sourcefile LIKE '%postgresql.auto.conf'"], { env: env.lab.clientEnv(), encoding: 'utf8' }).trim()).toBe('30s');
    });

    it('a shell step that fails is reported with its exit code and stderr, as a failed step (not a harness bug)', async () => {
      const contexts = openStepContext({ target: env.lab, binaries: env.lab.pg(), lab: env.lab });
      const lines: string[] = [];
      try {
        const steps = await runRunbookUnattended(
          defineRunbook({ id: 'failing', title: 't', summary: 's', steps: [{ id: 'probe', title: 'Probe', why: 'w', expect: 'e', command: { kind: 'shell', text: 'echo "port $PGPORT"; psql -d no_such_db -c "SELECT 1"' } }] }),
          contexts,
          { clock: new DrillClock(), signal: new AbortController().signal, onEvent: (e) => { if (e.type === 'step-output') lines.push(e.line); } },
        );
        expect(steps[0]).toMatchObject({ id: 'probe', status: 'failed' });
        // The shell saw the target's libpq environment: its output before the failure is kept.
        expect(lines).toContain(`port ${env.lab.clientEnv().PGPORT}`);
        expect(steps[0]!.detail).toMatch(/^shell command exited with code 2 after \d+ ms; stderr: .*database "no_such_db" does not exist/);
      } finally {
        await contexts.close();
      }
    });

    it("primary-failover's confirm-primary-down refuses while the primary answers (the shell text's own check)", async () => {
      const step = (await loadRunbook('primary-failover')).steps.find((s) => s.id === 'confirm-primary-down')!;
      const contexts = openStepContext({ target: env.lab, binaries: env.lab.pg(), lab: env.lab });
      try {
        const steps = await runRunbookUnattended(defineRunbook({ id: 'one-step', title: 't', summary: 's', steps: [step] }), contexts, { clock: new DrillClock(), signal: new AbortController().signal });
        expect(steps[0]).toMatchObject({ status: 'failed' });
        expect(steps[0]!.detail).toMatch(/the primary accepts connections: it is not down/);
      } finally {
        await contexts.close();
      }
    });
  });
});
