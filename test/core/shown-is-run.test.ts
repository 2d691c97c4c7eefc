import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connectionExhaustion from '../../runbooks/connection-exhaustion.ts';
import { defineRunbook } from '../../src/core/runbook.ts';
import { loadRunbook, runbookIds } from '../../src/engine/catalog.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('what the operator is shown is what runs', () => {
  it("refuses a step that shows a 'sql' command but runs something of its own", () => {
    expect(() =>
      defineRunbook({
        id: 'two-truths',
        title: 'Shows one thing, runs another',
        summary: 'A runbook whose step would mislead its operator.',
        steps: [{ id: 'count', title: 'Count', why: 'To know.', expect: 'A number.', command: { kind: 'sql', database: 'postgres', text: 'SELECT 1' }, async run() {} }],
      }),
    ).toThrow(/a step with run\(\) cannot show a 'sql' command: the SQL shown is what runs/);
  });

  it('no built-in runbook has such a step', async () => {
    for (const runbook of await Promise.all(runbookIds().map((id) => loadRunbook(id)))) {
      for (const step of runbook.steps) expect(step.command?.kind === 'sql' && step.run !== undefined, `${runbook.id}/${step.id}`).toBe(false);
    }
  });

  describe('on a real server', () => {
    let env: Awaited<ReturnType<typeof startTestLab>>;
    beforeAll(async () => {
      env = await startTestLab('shown');
    });
    afterAll(async () => {
      await env?.dispose();
    });

    it('the ALTER SYSTEM step of connection-exhaustion runs as shown, with psql', () => {
      const step = connectionExhaustion.steps.find((s) => s.id === 'set-idle-transaction-timeout')!;
      expect(step.command?.kind).toBe('shell');
      execFileSync('sh', ['-c', step.command!.text.replace(/^psql /, `${env.lab.pg().bin('psql')} -X -v ON_ERROR_STOP=1 `)], { env: env.lab.clientEnv(), stdio: 'pipe' });
      expect(execFileSync(env.lab.pg().bin('psql'), ['-XAt', '-c', "SELECT setting FROM pg_file_settings WHERE name = 'idle_in_transaction_session_timeout' AND sourcefile LIKE '%postgresql.auto.conf'"], { env: env.lab.clientEnv(), encoding: 'utf8' }).trim()).toBe('30s');
    });
  });
});
