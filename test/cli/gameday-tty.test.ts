import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/core/result.ts';
import type { JournalRecord } from '../../src/journal/records.ts';
import { Terminal, tmuxAvailable } from '../guide/tmux.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { processesMatching, tempDir } from '../helpers/test-lab.ts';

const bin = path.join(repoRoot, 'bin/pgdrill.mjs');
const terminals: Terminal[] = [];

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((t) => t.close()));
});

function gameday(dir: string, ...args: string[]): Terminal {
  const t = new Terminal([process.execPath, bin, 'gameday', 'connection-loss', '--lab-dir', path.join(dir, 'lab'), '--no-history', ...args], { cwd: dir, rows: 50, cols: 140 });
  terminals.push(t);
  return t;
}

function records(file: string): JournalRecord[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
}

describe('pgdrill gameday without a terminal', () => {
  it('refuses with exit 1 and says it needs a person (use drill for CI); nothing runs', async () => {
    const dir = tempDir('gameday-plain');
    const run = await runCli(['gameday', 'connection-loss', '--lab-dir', path.join(dir, 'lab')], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/A game day needs a person at a terminal/);
    expect(run.stderr).toMatch(/pgdrill drill/);
    expect(existsSync(path.join(dir, 'lab'))).toBe(false);
  });

  it('rejects a surprise window that is not one', async () => {
    const run = await runCli(['gameday', 'connection-loss', '--surprise', '3m-30s']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the window ends before it starts/);
  });
});

describe.runIf(tmuxAvailable())('pgdrill gameday in a terminal (the real binary in tmux)', () => {
  it('a person recovers connection-loss: the alert hands over the runbook; the measured RTO includes the human delay and matches the true recovery', async () => {
    const dir = tempDir('gameday');
    const journal = path.join(dir, 'gameday.jsonl');
    const json = path.join(dir, 'result.json');
    const t = gameday(dir, '--journal', journal, '--json', json, '--operator', 'alice');
    // Before the alert the runbook is not shown: only the service.
    await t.waitFor(/Game day under way|ALERT/, 60_000);
    const alerted = await t.waitFor(/ALERT \S/, 60_000).catch((error: unknown) => {
      throw new Error(`no alert; the terminal showed:\n${t.history()}`, { cause: error });
    });
    expect(alerted).toMatch(/Step 1 of 4: Check that PostgreSQL accepts connections/);
    // The operator runs the diagnosis steps, then takes 5 s before healing the network.
    t.keys('Enter');
    await t.waitFor(/done\s+1\. check-server/);
    t.keys('Enter');
    await t.waitFor(/done\s+2\. count-connections/);
    const humanDelayMs = 5_000;
    await new Promise((r) => setTimeout(r, humanDelayMs));
    t.keys('Enter');
    await t.waitFor(/done\s+3\. restore-connectivity/);
    t.keys('Enter');
    await t.waitFor(/done\s+4\. verify-service/, 60_000);
    t.keys('Enter');
    expect(await t.exitStatus(90_000)).toBe(0);

    const result = JSON.parse(readFileSync(json, 'utf8')) as DrillResult;
    expect(result).toMatchObject({ mode: 'gameday', operator: 'alice', status: 'passed' });
    const rec = records(journal);
    const fault = rec.find((r) => r.type === 'gameday' && r.event === 'fault')!;
    const alert = rec.find((r) => r.type === 'gameday' && r.event === 'alert')!;
    const healed = rec.find((r) => r.type === 'step-end' && r.stepId === 'restore-connectivity')!;
    // Journaled as soon as the session opened after the injection: its clock starts at the fault.
    expect(fault.t).toBeLessThan(1_000);
    expect(alert.t).toBeGreaterThan(fault.t);
    // The journal's clock starts at the fault: the true recovery is when the healing step ended.
    expect(result.rtoMs!).toBeGreaterThanOrEqual(humanDelayMs);
    expect(Math.abs(result.rtoMs! - healed.t)).toBeLessThanOrEqual(250);
    expect(result.ttaMs).not.toBeNull();
    expect(result.ttaMs!).toBeGreaterThanOrEqual(0);
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(rec.some((r) => r.type === 'gameday' && r.event === 'result')).toBe(true);
    // The postmortem: measurements, the timeline on one clock (fault, alert, steps, acknowledgement, recovery), the chart.
    const report = await runCli(['report', journal]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/## Game day: connection-loss, PASSED/);
    expect(report.stdout).toMatch(/\| time to acknowledge \(alert to first action\) \| \| \d/);
    const timeline = report.stdout.slice(report.stdout.indexOf('## Timeline'));
    const order = ['**Fault injected**', '**Alert**', '**Acknowledged**', '**restore-connectivity** started', '**Recovered**'].map((m) => timeline.indexOf(m));
    expect(order.every((i) => i >= 0), timeline).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(report.stdout).toMatch(/<svg viewBox=/);
    expect((await processesMatching(dir)).filter((line) => !/\btmux\b/.test(line))).toEqual([]);
  });

  it('a lost terminal (SIGHUP) mid-game-day stops it: the fault reverted, everything stopped, the journal says so', async () => {
    const dir = tempDir('gameday-hup');
    const journal = path.join(dir, 'gameday.jsonl');
    const t = gameday(dir, '--journal', journal);
    await t.waitFor(/ALERT \S/, 60_000);
    t.keys('Enter');
    await t.waitFor(/done\s+1\. check-server/);
    await t.close();
    terminals.splice(terminals.indexOf(t), 1);
    const left = (await processesMatching(dir)).filter((line) => !/\btmux\b/.test(line));
    expect(left, left.join('\n')).toEqual([]);
    const rec = records(journal);
    expect(rec.some((r) => r.type === 'session-end' && r.outcome === 'interrupted')).toBe(true);
    expect(rec.some((r) => r.type === 'gameday' && r.event === 'result' && /SIGHUP/.test(r.detail))).toBe(true);
  });

  it('kill -9 mid-game-day, then --resume: the runbook goes on where it was, and the report shows the gap and the verdict', async () => {
    const dir = tempDir('gameday-kill');
    const journal = path.join(dir, 'gameday.jsonl');
    const json = path.join(dir, 'result.json');
    const first = gameday(dir, '--journal', journal);
    await first.waitFor(/ALERT \S/, 60_000);
    first.keys('Enter');
    await first.waitFor(/done\s+1\. check-server/);
    const pid = Number(execFileSync('pgrep', ['-f', `gameday connection-loss .*${journal}`], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    expect(await first.exitStatus(20_000)).toBe(137);
    const killedAt = records(journal).at(-1)!.t;

    const second = gameday(dir, '--resume', journal, '--json', json);
    // The operator was paged already: the runbook is back at once, at the step after the one done.
    await second.waitFor(/Step 2 of 4: Count connections/, 60_000);
    expect(second.screen()).toMatch(/done\s+1\. check-server/);
    second.keys('Enter');
    await second.waitFor(/done\s+2\. count-connections/);
    second.keys('Enter');
    await second.waitFor(/done\s+3\. restore-connectivity/);
    second.keys('Enter');
    await second.waitFor(/done\s+4\. verify-service/, 60_000);
    second.keys('Enter');
    expect(await second.exitStatus(90_000)).toBe(0);

    const result = JSON.parse(readFileSync(json, 'utf8')) as DrillResult;
    const rec = records(journal);
    const gap = rec.find((r) => r.type === 'gameday' && r.event === 'load-interrupted')!;
    expect(gap.t).toBeGreaterThan(killedAt);
    // The RTO counts from the first fault, the interruption included.
    expect(result.rtoMs!).toBeGreaterThan(gap.t);
    expect(result.notes.join(' ')).toMatch(/the load was interrupted, nothing was measured in between/);
    const report = await runCli(['report', journal]);
    expect(report.stdout).toMatch(/\*\*Load interrupted\*\*: pgdrill stopped after \+\d\d:\d\d:\d\d and resumed/);
    expect(report.stdout).toMatch(/## Game day: connection-loss, PASSED/);
    expect(report.stdout).toMatch(/Note: pgdrill stopped after/);
    const left = (await processesMatching(dir)).filter((line) => !/\btmux\b/.test(line));
    expect(left, left.join('\n')).toEqual([]);
  });

  it('--surprise injects the fault inside its window', async () => {
    const dir = tempDir('gameday-surprise');
    const journal = path.join(dir, 'gameday.jsonl');
    const json = path.join(dir, 'result.json');
    const t = gameday(dir, '--journal', journal, '--json', json, '--surprise', '2s-4s');
    await t.waitFor(/ALERT \S/, 60_000);
    // Quitting the runbook leaves the fault standing: not recovered while observed, an objective breached (exit 2).
    t.keys('q');
    expect(await t.exitStatus(90_000)).toBe(2);
    const result = JSON.parse(readFileSync(json, 'utf8')) as DrillResult;
    expect(result.fault.surpriseMs).toBeGreaterThanOrEqual(2_000);
    expect(result.fault.surpriseMs).toBeLessThanOrEqual(4_000);
    expect(result.fault.steadyMs).toBeGreaterThanOrEqual(result.fault.surpriseMs!);
    expect((await processesMatching(dir)).filter((line) => !/\btmux\b/.test(line))).toEqual([]);
  });
});
