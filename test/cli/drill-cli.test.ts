import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, tempDir } from '../helpers/test-lab.ts';

/** The processes a drill starts, as its log names them. */
function servicePid(stderr: string): number {
  const match = /Sample service at \S+ \(pid (\d+)\)/.exec(stderr);
  expect(match, 'the drill log names the service pid').not.toBeNull();
  return Number(match![1]);
}

function proxyPort(stderr: string): number {
  return Number(/Fault proxy: built-in server at http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
}

async function portClosed(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch {
    return true;
  }
}

async function expectNothingLeft(labDir: string, stderr: string): Promise<void> {
  expect(await processesMatching(labDir)).toEqual([]);
  expect(isAlive(servicePid(stderr))).toBe(false);
  expect(await portClosed(proxyPort(stderr))).toBe(true);
}

function labPasswords(labDir: string): string[] {
  const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8'));
  return [state.superuserPassword, ...Object.values(state.servicePasswords as Record<string, string>)];
}

describe('pgdrill drill (the real binary)', () => {
  it('passes, exits 0, writes the JSON result, leaves nothing running and prints no password', async () => {
    const labDir = path.join(tempDir('cli-pass'), 'lab');
    const json = path.join(tempDir('cli-json'), 'result.json');
    const run = await runCli(['drill', 'connection-loss', '--hold', '1s', '--json', json, '--lab-dir', labDir]);
    expect(run.code, run.stderr).toBe(0);
    for (const label of ['RTO', 'time to detect', 'lost acknowledged writes', 'RPO (loss window)', 'requests sent / failed', 'PASSED']) expect(run.stdout).toContain(label);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result).toMatchObject({ scenario: 'connection-loss', status: 'passed', lostWrites: 0, objectives: { rtoMs: 300_000, rpoMs: 0 } });
    for (const field of ['rtoMs', 'ttdMs', 'rpoMs', 'ackedWrites', 'requests', 'failedRequests', 'startedAt', 'finishedAt']) expect(result, field).toHaveProperty(field);
    expect(result.steps.map((s: { id: string }) => s.id)).toEqual(['check-server', 'count-connections', 'restore-connectivity', 'verify-service']);
    expect(result.steps.every((s: { status: string; durationMs: number }) => s.status === 'done' && s.durationMs >= 0)).toBe(true);
    await expectNothingLeft(labDir, run.stderr);
    const everything = run.stdout + run.stderr + readFileSync(json, 'utf8');
    for (const secret of labPasswords(labDir)) expect(everything).not.toContain(secret);
  });

  it('exits 2 when an objective is breached, and still leaves nothing running', async () => {
    const labDir = path.join(tempDir('cli-breach'), 'lab');
    const json = path.join(tempDir('cli-json'), 'result.json');
    const run = await runCli(['drill', 'connection-loss', '--variant', 'reset-peer', '--hold', '1s', '--objective-rto', '300ms', '--json', json, '--lab-dir', labDir]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain('BREACHED');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ status: 'breached', variant: 'reset-peer', objectives: { rtoMs: 300 } });
    await expectNothingLeft(labDir, run.stderr);
  });

  it('cleans up everything it started when interrupted with SIGINT mid-drill', async () => {
    const labDir = path.join(tempDir('cli-sigint'), 'lab');
    const cli = startCli(['drill', 'connection-loss', '--hold', '20s', '--lab-dir', labDir]);
    await expect.poll(() => cli.stderrSoFar(), { timeout: 60_000, interval: 100 }).toMatch(/The fault stands for/);
    expect(await processesMatching(labDir)).not.toEqual([]);
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(130);
    await expectNothingLeft(labDir, run.stderr);
  });

  it('runs as root with the server as an unprivileged user', async () => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: the suite is not running as root here (CI runs it as root)');
      return;
    }
    const labDir = path.join(tempDir('cli-root'), 'lab');
    const up = await runCli(['lab', 'up', '--lab-dir', labDir]);
    expect(up.code, up.stderr).toBe(0);
    const status = await runCli(['lab', 'status', '--lab-dir', labDir, '--json']);
    const s = JSON.parse(status.stdout);
    expect(s.running).toBe(true);
    const uid = Number(/Uid:\s+(\d+)/.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1]);
    expect(uid).not.toBe(0);
    expect((await runCli(['lab', 'down', '--purge', '--lab-dir', labDir])).code).toBe(0);
    expect(await processesMatching(labDir)).toEqual([]);
  });
});

