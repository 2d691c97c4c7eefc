import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/journal/records.ts';
import { Lab } from '../../src/lab/lab.ts';
import { Terminal, tmuxAvailable } from '../guide/tmux.ts';
import { runCli, repoRoot } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, tempDir } from '../helpers/test-lab.ts';
import { stepRows } from '../journal/report-rows.ts';

const bin = path.join(repoRoot, 'bin/pgdrill.mjs');
const labDir = path.join(tempDir('guide-tty'), 'lab');
const terminals: Terminal[] = [];
const held: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.close()));
  await Promise.all(held.splice(0).map((c) => c.end().catch(() => {})));
});

function guide(...args: string[]): Terminal {
  const t = new Terminal([process.execPath, bin, 'guide', 'connection-loss', '--lab-dir', labDir, ...args], { cwd: repoRoot });
  terminals.push(t);
  return t;
}

/** PostgreSQL processes of the lab (the tmux server's own command line names the lab too). */
async function labServers(): Promise<string[]> {
  return (await processesMatching(labDir)).filter((line) => !/\btmux\b/.test(line));
}

function records(file: string): JournalRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
}

function labSecrets(): string[] {
  const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8'));
  return [state.superuserPassword, ...Object.values(state.servicePasswords as Record<string, string>)];
}

describe.runIf(tmuxAvailable())('pgdrill guide in a terminal (the real binary in tmux)', () => {
  it('walks connection-loss with keys: steps, explanation, command before it runs, notes, manual steps, a skip, the summary; exits 0 and stops the lab it started', async () => {
    const journal = path.join(tempDir('guide-tty'), 'walk.jsonl');
    const t = guide('--journal', journal);
    const first = await t.waitFor('Step 1 of 4: Check that PostgreSQL accepts connections', 30_000);
    expect(first).toMatch(/incident clock 00:00:0\d/);
    expect(first).toMatch(/pending\s+1\. check-server/);
    expect(first).toContain('$ pg_isready -h "$PGHOST" -p "$PGPORT" -t 5');
    expect(first).toContain('Enter run step · s skip · n note · ? keys · q quit');

    t.keys('Enter');
    expect(await t.waitFor(/done\s+1\. check-server/)).toMatch(/✓ check-server done in \d+ ms: 127\.0\.0\.1:\d+ - accepting connections/);
    t.keys('?');
    await t.waitFor('any key closes the help');
    t.keys('Escape');
    await t.waitFor('Step 2 of 4: Count connections');
    t.keys('n');
    await t.waitFor('Note:');
    t.type('paged by the on-call bot at 03:12');
    t.keys('Enter');
    await t.waitFor('Note added to the timeline: paged by the on-call bot at 03:12');
    t.keys('Enter');
    await t.waitFor(/done\s+2\. count-connections/);
    t.keys('Enter');
    const manual = await t.waitFor('waiting for you: do it by hand, then press Enter');
    expect(manual).toMatch(/manual\s+3\. restore-connectivity/);
    expect(manual).toContain('fault proxy');
    expect(manual).toContain('Enter mark done · s skip');
    t.keys('Enter');
    await t.waitFor(/done\s+3\. restore-connectivity/);
    t.keys('Enter');
    await t.waitFor(/manual\s+4\. verify-service/);
    t.keys('s');
    await t.waitFor('Reason for skipping:');
    t.type('no sample service outside a drill; checked /health by hand');
    t.keys('Enter');
    const summary = await t.waitFor('Recovered: every step done or skipped (1 skipped)');
    expect(summary).toMatch(/Time to recover \d/);
    expect(summary).toContain('verify-service: no sample service outside a drill; checked /health by hand');
    expect(summary).toMatch(/\+00:00:\d\d paged by the on-call bot at 03:12/);
    t.keys('q');
    expect(await t.exitStatus()).toBe(0);
    expect(t.history()).toContain('Incident report: pgdrill report');

    const types = records(journal).map((r) => r.type);
    expect(types[0]).toBe('session-start');
    expect(types.at(-1)).toBe('session-end');
    expect(records(journal).at(-1)).toMatchObject({ outcome: 'recovered' });
    for (const t2 of ['note', 'step-manual', 'step-skip', 'step-verify', 'step-output']) expect(types).toContain(t2);
    expect(await labServers()).toEqual([]); // the session started the lab, so it stopped it
    const text = readFileSync(journal, 'utf8') + t.history();
    for (const secret of labSecrets()) expect(text).not.toContain(secret);
  });

  it('survives SIGKILL mid-step: the resume shows the step interrupted, finishes, and the report has every step once, in order, with durations', async () => {
    const journal = path.join(tempDir('guide-tty'), 'killed.jsonl');
    const t = guide('--journal', journal);
    await t.waitFor('Step 1 of 4', 30_000);
    t.keys('Enter');
    await t.waitFor(/done\s+1\. check-server/);

    // Fill every connection slot so that the next step's verification keeps failing (and the step keeps running).
    const lab = new Lab({ labDir });
    for (let i = 0; i < 97; i++) held.push(new pg.Client({ connectionString: lab.adminUrl('postgres'), application_name: 'guide-test-hold' }));
    for (const c of held) c.on('error', () => {});
    await Promise.all(held.map((c) => c.connect()));
    t.keys('Enter');
    const running = await t.waitFor(/Not yet\s+\d+ of 97 client connections in use/);
    expect(running).toMatch(/running\s+2\. count-connections/);

    const pid = (records(journal)[0] as { pid: number }).pid;
    process.kill(pid, 'SIGKILL');
    expect(await t.exitStatus()).toBe(128 + 9);
    expect(isAlive(pid)).toBe(false);
    const atKill = records(journal).filter((r) => 'stepId' in r && r.stepId === 'count-connections').map((r) => r.type);
    expect(atKill[0]).toBe('step-start');
    expect(atKill).not.toContain('step-end');
    await Promise.all(held.splice(0).map((c) => c.end().catch(() => {})));

    const again = guide('--resume', journal);
    const resumed = await again.waitFor(/interrupted\s+2\. count-connections/, 30_000);
    expect(resumed).toMatch(/done\s+1\. check-server/);
    expect(resumed).toContain('was running when pgdrill stopped: it did not finish; Enter runs it again');
    again.keys('Enter');
    await again.waitFor(/done\s+2\. count-connections/);
    again.keys('Enter');
    await again.waitFor(/manual\s+3\. restore-connectivity/);
    again.keys('Enter');
    await again.waitFor(/done\s+3\. restore-connectivity/);
    again.keys('Enter');
    await again.waitFor(/manual\s+4\. verify-service/);
    again.keys('Enter');
    await again.waitFor('Recovered: every step done.');
    again.keys('q');
    expect(await again.exitStatus()).toBe(0);

    const report = await runCli(['report', journal]);
    expect(report.code, report.stderr).toBe(0);
    const rows = stepRows(report.stdout);
    expect(rows.map((r) => [r[0], r[1]!.split(':')[0], r[2]])).toEqual([
      ['1', '`check-server`', 'done'], ['2', '`count-connections`', 'done'], ['3', '`restore-connectivity`', 'done'], ['4', '`verify-service`', 'done'],
    ]);
    for (const row of rows) expect(row[3]).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    expect(rows[1]![5]).toContain('interrupted once');
    expect(report.stdout).toMatch(/\*\*count-connections\*\* interrupted: pgdrill stopped .*did not finish/);
    expect(report.stdout).toContain('Session resumed by');
    expect(report.stdout).toContain('| outcome | recovered: every step done or skipped with a reason |');
    expect(await labServers()).toEqual([]);
  });
});

describe.skipIf(tmuxAvailable())('pgdrill guide in a terminal', () => {
  it('is skipped: tmux is not installed here (CI installs it)', () => {
    console.log('skipped the terminal tests: tmux is not installed (apt-get install tmux)');
  });
});
