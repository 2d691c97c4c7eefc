import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../src/engine/drill.ts';
import connectionExhaustion from '../../scenarios/connection-exhaustion.ts';
import serviceCrash from '../../scenarios/service-crash.ts';
import slowQuery from '../../scenarios/slow-query.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('scenarios: slow query, connection exhaustion, service crash (real lab, real load)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('scenarios');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  const allDone = (steps: Array<{ id: string; status: string }>) => steps.filter((s) => s.status !== 'done').map((s) => `${s.id}: ${s.status}`);

  it('slow-query: a latency toxic makes requests slow; the runbook finds the slow path, heals it, and the retries are reported', async () => {
    const { result } = await runDrill(slowQuery, { labDir: env.labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(allDone(result.steps)).toEqual([]);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.lostWrites).toBe(0);
    // The load keeps its arrival rate while every answer is slow (an open model, no coordinated omission).
    expect(result.load!.targetRate).toBe(100);
    expect(Math.abs(result.load!.sentRate - 100)).toBeLessThanOrEqual(5);
    expect(result.load!.inFlightCapHit).toBe(false);
    expect(result.load!.maxInFlight).toBeGreaterThan(20);
  });

  it('slow-query (lock-blocker): the runbook finds and terminates the blocking session', async () => {
    const { result } = await runDrill(slowQuery, { labDir: env.labDir, holdMs: 1500, variant: 'lock-blocker' });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/holds ACCESS EXCLUSIVE on payments/);
    // Evidence alone is no proof: the service must have noticed the fault.
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(allDone(result.steps)).toEqual([]);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.lostWrites).toBe(0);
  });

  it('connection-exhaustion: every free slot is taken; the runbook terminates idle sessions and sets the timeout', async () => {
    const { result } = await runDrill(connectionExhaustion, { labDir: env.labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/\d+ sessions hold every free connection/);
    // Evidence alone is no proof: the service must have noticed the fault.
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(allDone(result.steps)).toEqual([]);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.lostWrites).toBe(0);
  });

  it('service-crash: the killed service is restarted by the runbook and no acknowledged write is lost', async () => {
    const { result } = await runDrill(serviceCrash, { labDir: env.labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/killed service pid \d+/);
    expect(allDone(result.steps)).toEqual([]);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.lostWrites).toBe(0);
    expect(result.ackedWrites).toBeGreaterThan(50);
  });
});
