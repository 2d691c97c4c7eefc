import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupLab, labScratchRoot } from '../../src/backup/lab-backups.ts';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, startTestLab, tempDir } from '../helpers/test-lab.ts';

/**
 * A PITR recovery in a guided session that stops half-way (before the
 * destructive copy-back, as designed without --confirm; or killed -9) and
 * is resumed by another pgdrill process: what the earlier steps found and
 * built (the bad transaction, the side cluster) comes back from the
 * journal, the side cluster is taken up, every deleted row is back, and
 * nothing is left running.
 */
describe('guide accidental-deletion: a resumed session picks up where it stopped', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  let rows = 0;
  beforeAll(async () => {
    env = await startTestLab('resume-pitr');
    await backupLab(env.lab);
    rows = Number((await env.lab.query('payments_db', 'SELECT count(*)::int AS n FROM payments'))[0]!.n);
  });
  afterAll(async () => {
    await env?.dispose();
  });

  const liveRows = async () => Number((await env.lab.query('payments_db', 'SELECT count(*)::int AS n FROM payments'))[0]!.n);
  const records = (journal: string) => readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string; status?: string; key?: string; value?: { name?: string; port?: number } });

  async function expectRecoveredAndClean(journal: string): Promise<void> {
    const resumed = await runCli(['guide', 'accidental-deletion', '--resume', journal, '--yes', '--confirm', 'lab:lab', '--lab-dir', env.labDir]);
    // Everything pgdrill can do is done; the last step (the service's health) needs a person without a drill's service.
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(1);
    expect(resumed.stderr).toMatch(/Step 6 \(verify-service\) needs a person/);
    expect(resumed.stderr).not.toMatch(/no side cluster/);
    expect(await liveRows()).toBe(rows);
    expect(existsSync(labScratchRoot(env.lab)) ? readdirSync(labScratchRoot(env.lab)) : []).toEqual([]);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    const ends = records(journal).filter((r) => r.type === 'step-end' && r.status === 'done').map((r) => r.stepId);
    expect(ends).toEqual(expect.arrayContaining(['copy-back', 'remove-side-cluster']));
  }

  it('stops before the destructive copy-back, then a resume in a new process copies the rows back from the same side cluster', async () => {
    await env.lab.query('payments_db', 'DELETE FROM payments');
    expect(await liveRows()).toBe(0);
    const journal = path.join(tempDir('resume-journal'), 'first.jsonl');
    const first = await runCli(['guide', 'accidental-deletion', '--yes', '--lab-dir', env.labDir, '--journal', journal]);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/copy-back\) is destructive/);
    // The side cluster the first process made is journaled, and still runs after that process exited.
    const side = records(journal).filter((r) => r.type === 'memory' && r.key === 'runbook:accidental-deletion').at(-1)!.value as { side?: { name: string; port: number } };
    expect(side.side).toMatchObject({ name: expect.stringMatching(/^side-/), port: expect.any(Number) });
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([side.side!.name]);
    await expectRecoveredAndClean(journal);
  });

  it('survives kill -9 between restoring the side cluster and copying back', async () => {
    await env.lab.query('payments_db', 'DELETE FROM payments');
    const journal = path.join(tempDir('resume-journal'), 'killed.jsonl');
    const run = startCli(['guide', 'accidental-deletion', '--yes', '--lab-dir', env.labDir, '--journal', journal]);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      try {
        if (existsSync(journal) && records(journal).some((r) => r.type === 'step-end' && r.stepId === 'restore-side-cluster')) break;
      } catch {
        // read while a line was being appended: look again
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill('SIGKILL');
    await run.done;
    expect(isAlive(run.child.pid!)).toBe(false);
    expect(records(journal).some((r) => r.type === 'step-end' && r.stepId === 'copy-back')).toBe(false);
    expect(await liveRows()).toBe(0);
    await expectRecoveredAndClean(journal);
  });

  it('an operator who quits and says so (--discard-side-clusters) leaves no side cluster behind', async () => {
    await env.lab.query('payments_db', 'DELETE FROM payments');
    const journal = path.join(tempDir('resume-journal'), 'discard.jsonl');
    const first = await runCli(['guide', 'accidental-deletion', '--yes', '--lab-dir', env.labDir, '--journal', journal]);
    expect(first.code).toBe(1);
    expect(readdirSync(labScratchRoot(env.lab))).toHaveLength(1);
    // Quitting without saying so keeps it for the resume (the test above); saying so removes it.
    const quit = await runCli(['guide', 'accidental-deletion', '--resume', journal, '--yes', '--discard-side-clusters', '--lab-dir', env.labDir]);
    expect(quit.code).toBe(1);
    expect(quit.stderr).toMatch(/copy-back\) is destructive/);
    expect(quit.stderr).toMatch(/Side cluster \S+side-\S+ stopped and removed/);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    // The live table was not touched by the discard.
    expect(await liveRows()).toBe(0);
  });

  it('says clearly, naming the step to run again, when the side cluster is gone before the resume', async () => {
    await env.lab.query('payments_db', 'DELETE FROM payments');
    const journal = path.join(tempDir('resume-journal'), 'gone.jsonl');
    const first = await runCli(['guide', 'accidental-deletion', '--yes', '--lab-dir', env.labDir, '--journal', journal]);
    expect(first.code).toBe(1);
    await runCli(['lab', 'down', '--lab-dir', env.labDir]);
    const { rmSync } = await import('node:fs');
    for (const name of readdirSync(labScratchRoot(env.lab))) rmSync(path.join(labScratchRoot(env.lab), name), { recursive: true, force: true });
    await env.lab.up('persistent');
    const resumed = await runCli(['guide', 'accidental-deletion', '--resume', journal, '--yes', '--confirm', 'lab:lab', '--lab-dir', env.labDir]);
    expect(resumed.code).toBe(1);
    expect(resumed.stdout + resumed.stderr).toMatch(/The side cluster side-\S+ that an earlier step restored is gone/);
    expect(await liveRows()).toBe(0);
  });
});
