import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/core/result.ts';
import { judge } from '../../src/engine/verdict.ts';
import type { DataLossMeasure } from '../../src/measure/data-loss.ts';
import type { RecoveryMeasure } from '../../src/measure/recovery.ts';

const objectives = { rtoMs: 60_000, rpoMs: 0 };
const recovered = (rtoMs: number | null, failuresAfterFault = 10): RecoveryMeasure => ({ rtoMs, ttdMs: rtoMs === null ? 100 : 100, recoveredAt: rtoMs, failuresAfterFault });
const noLoss: DataLossMeasure = { ackedWrites: 500, lostWrites: 0, lostIds: [], rpoMs: 0, unackedPresent: 0 };
const lost = (n: number, rpoMs: number): DataLossMeasure => ({ ackedWrites: 500, lostWrites: n, lostIds: Array.from({ length: n }, (_, i) => `id-${i}`), rpoMs, unackedPresent: 0 });
const step = (id: string, status: StepResult['status'], detail?: string): StepResult => ({ id, title: id, status, durationMs: 10, startedAtMs: 0, ...(detail ? { detail } : {}) });
const done = [step('check', 'done'), step('fix', 'done')];
const fault = { name: 'The fault "lock-blocker"' };

describe('judge: the verdict that gates CI', () => {
  it('passed: the fault was noticed, the service recovered within the RTO, nothing acknowledged was lost, every step done', () => {
    expect(judge(objectives, recovered(5000), noLoss, done, fault)).toEqual({ status: 'passed', reasons: [] });
  });

  it('ineffective: no request failed and no write was lost (no evidence)', () => {
    const verdict = judge(objectives, recovered(0, 0), noLoss, done, fault);
    expect(verdict.status).toBe('ineffective');
    expect(verdict.reasons[0]).toMatch(/^The fault "lock-blocker" did not take effect: no request failed/);
  });

  it('ineffective: evidence the fault reports is not proof that anything noticed it', () => {
    const verdict = judge(objectives, recovered(0, 0), noLoss, done, { ...fault, evidence: 'backend 42 holds ACCESS EXCLUSIVE on payments' });
    expect(verdict.status).toBe('ineffective');
    expect(verdict.reasons[0]).toContain('It reported "backend 42 holds ACCESS EXCLUSIVE on payments", but the service did not notice.');
  });

  it('evidence is the proof only where the scenario declares it (and there is evidence to go by)', () => {
    expect(judge(objectives, recovered(0, 0), noLoss, done, { name: 'none', evidence: 'weekly restore test', evidenceIsProof: true })).toEqual({ status: 'passed', reasons: [] });
    expect(judge(objectives, recovered(0, 0), noLoss, done, { name: 'none', evidenceIsProof: true }).status).toBe('ineffective');
    // A declared proof still breaches on a failed step.
    const failed = judge(objectives, recovered(0, 0), noLoss, [step('restore', 'failed', 'pg_amcheck found corruption')], { name: 'none', evidence: 'weekly restore test', evidenceIsProof: true });
    expect(failed).toEqual({ status: 'breached', reasons: ['runbook step "restore" failed: pg_amcheck found corruption'] });
  });

  it('a lost write alone is noticed: not ineffective, and a breach of RPO 0', () => {
    const verdict = judge(objectives, recovered(0, 0), lost(1, 200), done, fault);
    expect(verdict.status).toBe('breached');
    expect(verdict.reasons).toEqual(['1 acknowledged write(s) lost over 200 ms (objective RPO 0: no acknowledged write may be lost)']);
  });

  it('breached: the service did not recover while observed', () => {
    expect(judge(objectives, recovered(null), noLoss, done, fault)).toEqual({ status: 'breached', reasons: ['the service did not recover while observed (objective RTO 1 min)'] });
  });

  it('breached: RTO above its objective; exactly at the objective passes', () => {
    expect(judge(objectives, recovered(61_000), noLoss, done, fault)).toEqual({ status: 'breached', reasons: ['RTO 1.0 min exceeds the objective of 1 min'] });
    expect(judge(objectives, recovered(60_000), noLoss, done, fault).status).toBe('passed');
  });

  it('RPO objective 0: any acknowledged write lost breaches, even a loss window of 0 ms', () => {
    const verdict = judge(objectives, recovered(5000), lost(3, 0), done, fault);
    expect(verdict).toEqual({ status: 'breached', reasons: ['3 acknowledged write(s) lost over 0 ms (objective RPO 0: no acknowledged write may be lost)'] });
  });

  it('RPO objective above 0: a loss within the window passes, beyond it breaches', () => {
    const fiveMinutes = { rtoMs: 15 * 60_000, rpoMs: 5 * 60_000 };
    expect(judge(fiveMinutes, recovered(5000), lost(40, 4 * 60_000), done, fault)).toEqual({ status: 'passed', reasons: [] });
    expect(judge(fiveMinutes, recovered(5000), lost(40, 5 * 60_000), done, fault).status).toBe('passed');
    expect(judge(fiveMinutes, recovered(5000), lost(40, 6 * 60_000), done, fault)).toEqual({ status: 'breached', reasons: ['40 acknowledged write(s) lost over 6.0 min (objective RPO 5 min)'] });
  });

  it('writes present but never acknowledged are not a loss', () => {
    expect(judge(objectives, recovered(5000), { ...noLoss, unackedPresent: 7 }, done, fault)).toEqual({ status: 'passed', reasons: [] });
  });

  it('breached: a failed runbook step, with its detail; skipped and interrupted steps are not failures by themselves', () => {
    const steps = [step('find-blocker', 'done'), step('terminate', 'failed', 'PostgreSQL ERROR 42501: permission denied'), step('verify', 'skipped', 'not run')];
    expect(judge(objectives, recovered(5000), noLoss, steps, fault)).toEqual({ status: 'breached', reasons: ['runbook step "terminate" failed: PostgreSQL ERROR 42501: permission denied'] });
    expect(judge(objectives, recovered(5000), noLoss, [step('x', 'failed')], fault).reasons).toEqual(['runbook step "x" failed: no detail']);
  });

  it('every breach is listed, not just the first', () => {
    const verdict = judge(objectives, recovered(null), lost(2, 1000), [step('restore', 'failed', 'boom')], fault);
    expect(verdict.status).toBe('breached');
    expect(verdict.reasons).toHaveLength(3);
  });
});
