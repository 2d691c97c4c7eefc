import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupLab, labBackupRoot, labScratchRoot } from '../../src/backup/lab-backups.ts';
import { listBackups } from '../../src/backup/store.ts';
import { startCli } from '../helpers/run-cli.ts';
import { processesMatching, startTestLab, tempDir } from '../helpers/test-lab.ts';

/**
 * SIGINT stops the work, not just the process: the commands below are
 * interrupted while child processes (cp, pg_ctl, a replaying scratch
 * cluster, pg_waldump, psql) and queries run; afterwards nothing of theirs
 * runs, and their results and journals are complete.
 */
describe('SIGINT while work runs (the real binary, real PostgreSQL)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('interrupt');
    await backupLab(env.lab);
    // WAL written after the backup, so that a restore replays for a few seconds (a window to interrupt it in).
    await env.lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) SELECT gen_random_uuid(), md5('user-1')::uuid, 1, 'EUR', 'pending' FROM generate_series(1, 400000)");
    await env.lab.psql('postgres', 'SELECT pg_switch_wal()');
  }, 180_000);
  afterAll(async () => {
    await env?.dispose();
  });

  /** Processes of this lab other than its own server and its WAL archiving (which the tests started, not pgdrill). */
  async function leftOver(): Promise<string[]> {
    const own = env.lab.paths.dataDir;
    return (await processesMatching(env.labDir)).filter((line) => !line.includes(`-D ${own}`) && !(line.includes('archive') && !/pg_waldump/.test(line)));
  }

  const scratchEntries = () => (existsSync(labScratchRoot(env.lab)) ? readdirSync(labScratchRoot(env.lab)) : []);

  it('backup verify: the scratch cluster replaying WAL is stopped and removed, the JSON says interrupted, nothing is recorded (exit 130)', async () => {
    const before = listBackups(labBackupRoot(env.lab)).at(-1)!;
    const cli = startCli(['backup', 'verify', '--lab-dir', env.labDir, '--skip-amcheck', '--json']);
    await expect.poll(() => cli.stderrSoFar(), { timeout: 60_000, interval: 50 }).toMatch(/Starting the scratch cluster/);
    expect(await processesMatching(labScratchRoot(env.lab))).not.toEqual([]);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ backupId: before.id, ok: false, interrupted: expect.stringMatching(/SIGINT/) });
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    expect(await leftOver()).toEqual([]);
    expect(scratchEntries()).toEqual([]);
    // An interrupted verification is not a failed one.
    expect(listBackups(labBackupRoot(env.lab)).at(-1)!.verified).toEqual(before.verified);
  });

  it('guide accidental-deletion --yes: SIGINT while restore-side-cluster runs stops the restore; the journal ends with the step interrupted and the session end (exit 130)', async () => {
    await env.lab.query('payments_db', 'DELETE FROM payments');
    const journal = path.join(tempDir('interrupt-journal'), 'guide.jsonl');
    const cli = startCli(['guide', 'accidental-deletion', '--yes', '--lab-dir', env.labDir, '--journal', journal]);
    const text = () => (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
    await expect.poll(text, { timeout: 60_000, interval: 50 }).toMatch(/Starting the scratch cluster/);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    const records = text().trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string; outcome?: string });
    const tail = records.slice(-2);
    expect(tail[0]).toMatchObject({ type: 'step-interrupted', stepId: 'restore-side-cluster' });
    expect(tail[1]).toMatchObject({ type: 'session-end', outcome: 'interrupted' });
    expect(records.some((r) => r.type === 'step-end' && r.stepId === 'restore-side-cluster')).toBe(false);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    expect(await leftOver()).toEqual([]);
    expect(scratchEntries()).toEqual([]);
  });

  it('drill accidental-deletion --json: SIGINT during the runbook stops its step, writes the whole JSON (status error, interrupted) and leaves nothing running (exit 130)', async () => {
    const labDir = path.join(tempDir('interrupt-drill'), 'lab');
    const json = path.join(tempDir('interrupt-drill-json'), 'out.json');
    const cli = startCli(['drill', 'accidental-deletion', '--hold', '1s', '--json', json, '--lab-dir', labDir]);
    await expect.poll(() => cli.stderrSoFar(), { timeout: 120_000, interval: 50 }).toMatch(/▸ restore-side-cluster/);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result).toMatchObject({ scenario: 'accidental-deletion', status: 'error' });
    expect(result.reasons.join(' ')).toMatch(/interrupted \(SIGINT\)/);
    for (const field of ['steps', 'startedAt', 'finishedAt', 'objectives']) expect(result, field).toHaveProperty(field);
    const statuses = result.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`);
    expect(statuses.filter((s: string) => s.endsWith(':interrupted'))).toHaveLength(1);
    expect(await processesMatching(labDir)).toEqual([]);
  }, 180_000);
});
