import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connectionExhaustion from '../../scenarios/connection-exhaustion.ts';
import poolSaturation from '../../scenarios/pool-saturation.ts';
import poolerDown from '../../scenarios/pooler-down.ts';
import primaryFailover from '../../scenarios/primary-failover.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { comparePooler } from '../../src/engine/pooler-comparison.ts';
import { Lab } from '../../src/lab/lab.ts';
import { startCli } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/** Each drill brings the lab up with PgBouncer in the path and stops it (ephemeral); nothing may be left running. */
describe('pooler scenarios: the real PgBouncer in the path, real load', () => {
  let labDir: string;
  beforeAll(() => {
    labDir = path.join(tempDir('pooler-drills'), 'lab');
  });
  afterAll(async () => {
    await removeTempDirs();
  });

  const allDone = (steps: Array<{ id: string; status: string }>) => steps.filter((s) => s.status !== 'done').map((s) => `${s.id}: ${s.status}`);
  const nothingRunning = async () => expect(await processesMatching(labDir)).toEqual([]);

  it('pooler-down: PgBouncer is killed; the runbook sees the server healthy and the pooler not, starts it again, verifies pools and service', async () => {
    const { result } = await runDrill(poolerDown, { labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/PgBouncer \(pid \d+\) killed with SIGKILL; its pools held payments_db\/payments_service: \d+ server connections/);
    expect(allDone(result.steps)).toEqual([]);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.rtoMs!).toBeLessThan(60_000);
    expect(result.lostWrites).toBe(0);
    expect(result.notes.join(' ')).toMatch(/service → fault proxy → PgBouncer .* → PostgreSQL/);
    await nothingRunning();
  });

  it('pool-saturation: clients hold every server connection; the runbook finds them through SHOW POOLS/CLIENTS and pg_stat_activity, ends them, the waiters are served', async () => {
    const { result } = await runDrill(poolSaturation, { labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/^5 of 5 server connections of the payments_db pool held by clients idle in a transaction; [1-9]\d* client\(s\) waiting in PgBouncer$/);
    expect(allDone(result.steps)).toEqual([]);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.lostWrites).toBe(0);
    await nothingRunning();
  });

  it('connection-exhaustion --pooler: the same fault without and with PgBouncer; the pooler keeps the service served, as the seed claims', async () => {
    const comparison = await comparePooler(connectionExhaustion, { labDir, holdMs: 1500 });
    const a = comparison.without.result;
    const b = comparison.with.result;
    console.log(comparison.summary);
    expect(a.status, a.reasons.join('; ')).toBe('passed');
    expect(['passed', 'ineffective'], b.reasons.join('; ')).toContain(b.status);
    expect(a.notes.join(' ')).not.toMatch(/PgBouncer/);
    // Without the pooler the service loses its connections for the whole hold; with it, only while the path was cut to open the hogs.
    expect(a.failedRequests).toBeGreaterThan(100);
    expect(b.failedRequests).toBeLessThan(a.failedRequests / 2);
    expect(comparison.holds).toBe(true);
    expect(comparison.summary).toMatch(/^Without the pooler: RTO [\d.]+ s, \d+ of \d+ requests failed, 0 acknowledged writes lost \(passed\)\. With PgBouncer: .*The seed's claim \(.*\) holds in this measurement\.$/);
    expect(b.notes).toContain(comparison.summary);
    await nothingRunning();
  });

  it('primary-failover --pooler: PgBouncer is repointed to the promoted replica (RELOAD) and follows the lab primary afterwards', async () => {
    const events: string[] = [];
    const { result } = await runDrill(primaryFailover, { labDir, holdMs: 1500, pooler: true, onEvent: (e) => { if (e.type === 'step-output') events.push(e.line); } });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(allDone(result.steps)).toEqual([]);
    expect(events.join('\n')).toMatch(/PgBouncer 127\.0\.0\.1:\d+: \[databases\] → host=127\.0\.0\.1 port=\d+; RELOAD sent on the admin console/);
    expect(result.rtoMs!).toBeLessThan(result.objectives.rtoMs);
    const lab = new Lab({ labDir });
    expect(lab.pooler!.upstream).toEqual(lab.endpoint);
    await nothingRunning();
  });

  it('a drill with the pooler stopped by SIGTERM leaves no PgBouncer (or anything else) running', async () => {
    const cli = startCli(['drill', 'pool-saturation', '--hold', '30s', '--lab-dir', labDir]);
    await expect.poll(() => cli.stderrSoFar(), { timeout: 120_000, interval: 50 }).toMatch(/The fault stands for/);
    const pid = new Lab({ labDir }).pooler!.pid()!;
    expect(isAlive(pid)).toBe(true);
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(143);
    expect(isAlive(pid)).toBe(false);
    await nothingRunning();
  }, 180_000);
});
