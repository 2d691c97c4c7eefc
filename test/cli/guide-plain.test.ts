import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/journal/records.ts';
import { Lab } from '../../src/lab/lab.ts';
import { runCli, startCli, repoRoot } from '../helpers/run-cli.ts';
import { processesMatching, tempDir } from '../helpers/test-lab.ts';

const labDir = path.join(tempDir('guide-plain'), 'lab');
const slowRunbook = path.join(repoRoot, 'test/guide/fixtures/slow-runbook.ts');
const destructiveRunbook = path.join(repoRoot, 'test/guide/fixtures/destructive-runbook.ts');
const journal = (name: string) => path.join(tempDir('guide-plain-journal'), `${name}.jsonl`);
const records = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
const labServers = async () => processesMatching(labDir);

describe('pgdrill guide without a terminal (stdin and stdout are pipes)', () => {
  it('never waits for input: without --yes it prints the steps, runs nothing and exits 1 naming --yes', async () => {
    const started = performance.now();
    const run = await runCli(['guide', 'connection-loss', '--lab-dir', labDir]);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(run.code).toBe(1);
    for (const id of ['check-server', 'count-connections', 'restore-connectivity', 'verify-service']) expect(run.stdout).toContain(id);
    expect(run.stderr).toMatch(/There is no terminal to guide an operator .* nothing was run/);
    expect(run.stderr).toContain('Pass --yes');
    expect(existsSync(labDir)).toBe(false);
  });

  it('--dry-run prints every step and exactly what it would run, touching nothing (exit 0)', async () => {
    const run = await runCli(['guide', 'connection-loss', '--dry-run', '--lab-dir', labDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('runs: $ pg_isready -h "$PGHOST" -p "$PGPORT" -t 5');
    expect(run.stdout).toMatch(/runs: SQL on postgres: SELECT datname, usename/);
    expect(run.stdout).toMatch(/step 4\/4 verify-service/);
    expect(run.stdout).toContain('Nothing was run (--dry-run).');
    const destructive = await runCli(['guide', destructiveRunbook, '--dry-run']);
    expect(destructive.stdout).toContain("DESTRUCTIVE: touches idle sessions of the test application; runs only after the operator types the target's name");
    expect(existsSync(labDir)).toBe(false);
  });

  it('with --yes runs the automatic steps, stops at the first one that needs a person naming how to continue (exit 1), and stops the lab it started', async () => {
    const file = journal('yes');
    const run = await runCli(['guide', 'connection-loss', '--yes', '--lab-dir', labDir, '--journal', file]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/step 1\/4 check-server/);
    expect(run.stdout).toMatch(/\| 127\.0\.0\.1:\d+ - accepting connections/);
    expect(run.stdout).toMatch(/✓ done in \d+ ms: \d+ of 97 client connections in use/);
    expect(run.stdout).toMatch(/step 3\/4 restore-connectivity needs a person/);
    expect(run.stderr).toMatch(/pgdrill: Step 3 \(restore-connectivity\) needs a person: .* continue in a terminal .*: pgdrill guide connection-loss --resume \S+ --lab-dir /);
    expect(records(file).at(-1)).toMatchObject({ type: 'session-end', outcome: 'stopped' });
    expect(records(file).filter((r) => r.type === 'step-end').map((r) => (r as { stepId: string }).stepId)).toEqual(['check-server', 'count-connections']);
    expect(await labServers()).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s mid-step ends the session in the journal (the step interrupted, not done) and exits %i', async (signal, code) => {
    const file = journal(signal.toLowerCase());
    const cli = startCli(['guide', slowRunbook, '--yes', '--lab-dir', labDir, '--journal', file]);
    await expect.poll(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), { timeout: 30_000, interval: 100 }).toContain('still waiting for the test');
    cli.child.kill(signal);
    const run = await cli.done;
    expect(run.code).toBe(code);
    const tail = records(file).slice(-2);
    expect(tail[0]).toMatchObject({ type: 'step-interrupted', stepId: 'wait' });
    expect(tail[1]).toMatchObject({ type: 'session-end', outcome: 'interrupted', detail: `pgdrill received ${signal}` });
    expect(await labServers()).toEqual([]);
  });

  describe('destructive steps', () => {
    it('need --confirm with the target name (and --allow-destructive off the lab)', async () => {
      const lab = new Lab({ labDir });
      await lab.up('persistent');
      try {
        const unconfirmed = await runCli(['guide', destructiveRunbook, '--yes', '--lab-dir', labDir, '--journal', journal('unconfirmed')]);
        expect(unconfirmed.code).toBe(1);
        expect(unconfirmed.stderr).toMatch(/Step 2 \(terminate\) is destructive: it touches idle sessions of the test application\. .*pass --confirm lab:lab/);
        const wrong = await runCli(['guide', destructiveRunbook, '--yes', '--confirm', 'prod', '--lab-dir', labDir, '--journal', journal('wrong')]);
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toMatch(/"prod" is not lab:lab/);
        const confirmed = await runCli(['guide', destructiveRunbook, '--yes', '--confirm', 'lab:lab', '--lab-dir', labDir, '--journal', journal('confirmed')]);
        expect(confirmed.code, confirmed.stderr).toBe(0);
        expect(confirmed.stdout).toContain('confirmation given (lab:lab)');
        expect(confirmed.stdout).toContain('session finished');

        const url = lab.adminUrl('postgres');
        const name = `127.0.0.1:${lab.endpoint.port}`;
        const refused = await runCli(['guide', destructiveRunbook, '--yes', '--url', url, '--confirm', name, '--journal', journal('url-refused')]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/is not the pgdrill lab.*--allow-destructive/s);
        const allowedJournal = journal('url-allowed');
        const allowed = await runCli(['guide', destructiveRunbook, '--yes', '--url', url, '--allow-destructive', '--confirm', name, '--journal', allowedJournal]);
        expect(allowed.code, allowed.stderr).toBe(0);
        const password = new URL(url).password;
        for (const out of [refused.stdout, refused.stderr, allowed.stdout, allowed.stderr, readFileSync(allowedJournal, 'utf8')]) expect(out).not.toContain(password);
      } finally {
        await lab.down();
      }
    });
  });

  it('rejects bad flag combinations and journals before touching anything (exit 1, one paragraph)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['guide', 'connection-loss', '--yes', '--journal', 'a.jsonl', '--resume', 'b.jsonl'], /--journal and --resume both name a journal/],
      [['guide', 'connection-loss', '--yes', '--url', 'mysql://x@y/z'], /uses "mysql:", not postgres:/],
      [['guide', 'connection-loss', '--yes', '--target', 'lab', '--url', 'postgres://x@y/z'], /--target lab and --url name two different targets/],
      [['guide', 'connection-loss', '--yes', '--target', 'rds'], /--target rds is not a target/],
      [['guide', 'connection-loss', '--yes', '--resume', path.join(tempDir('guide-plain'), 'missing.jsonl')], /There is no journal at/],
      [['guide', 'no-such-runbook', '--yes'], /There is no runbook "no-such-runbook"/],
      [['report', path.join(tempDir('guide-plain'), 'missing.jsonl')], /There is no journal at/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    }
    const help = await runCli(['guide', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes: 0 the session finished/);
    expect((await runCli(['report', '--help'])).code).toBe(0);
  });
});
