import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../src/core/runbook.ts';
import { defineScenario, type Scenario } from '../../src/core/scenario.ts';
import { runDrill } from '../../src/engine/drill.ts';
import type { Fault } from '../../src/faults/fault.ts';
import { latency } from '../../src/faults/latency.ts';
import { proxyDown } from '../../src/faults/proxy-down.ts';
import { resetPeer } from '../../src/faults/reset-peer.ts';
import connectionLoss from '../../scenarios/connection-loss.ts';
import { startTestLab } from '../helpers/test-lab.ts';

/** Ground truth the test controls: when the fault really went in and when the path was really healed. */
interface Truth {
  injectedAt?: number;
  healedAt?: number;
}

function recording(fault: Fault, truth: Truth): Fault {
  return {
    ...fault,
    inject: async (ctx) => {
      const evidence = await fault.inject(ctx);
      truth.injectedAt = performance.now();
      return evidence;
    },
  };
}

/** A scenario whose runbook heals the path at once and records when. */
function calibrationScenario(fault: Fault, holdMs: number, truth: Truth): Scenario {
  return defineScenario({
    ...connectionLoss,
    id: 'calibration',
    fault: recording(fault, truth),
    variants: undefined,
    holdMs,
    // No retries in the service: a retried request sent just before the heal would succeed and blur the ground truth.
    service: { retries: 0 },
    runbook: defineRunbook({
      id: 'heal-at-once',
      title: 'Heal the path at once',
      summary: 'Test runbook: ends the outage the moment it starts.',
      steps: [
        {
          id: 'heal',
          title: 'Heal the path',
          why: 'ground truth',
          expect: 'the path is healthy',
          run: async (ctx) => {
            await ctx.link!.heal();
            truth.healedAt = performance.now();
          },
        },
      ],
    }),
    observeMs: 3000,
  });
}

describe('drill (real PostgreSQL, built-in proxy, real HTTP load)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('drill');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  const heldResponses: Fault = {
    name: 'timeout',
    description: 'replies are held (timeout toxic)',
    inject: (ctx) => ctx.link.addToxic({ name: 'held', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } }),
    revert: (ctx) => ctx.link.removeToxic('held'),
  };
  // A refused or reset connection ends with the heal. A slow or held reply does not quite: the requests the
  // service's pool queued behind the held ones still drain after the heal, so the service really recovers a
  // little later than the path (100–350 ms measured here). The measurement may not be early by more than 250 ms,
  // and for those faults may be late by the drain, up to 750 ms.
  for (const [name, fault, lateMs] of [['proxy-down', proxyDown(), 250], ['reset-peer', resetPeer(), 250], ['latency', latency({ latencyMs: 1500 }), 750], ['timeout', heldResponses, 750]] as const) {
    it(`measures a known ${name} outage as its length, at most 250 ms early and ${lateMs} ms late`, async () => {
      const truth: Truth = {};
      const { result } = await runDrill(calibrationScenario(fault, 3000, truth), { labDir: env.labDir });
      expect(result.status, result.reasons.join('; ')).toBe('passed');
      const outageMs = truth.healedAt! - truth.injectedAt!;
      console.log(`${name}: outage ${outageMs.toFixed(0)} ms, measured RTO ${result.rtoMs} ms, time to detect ${result.ttdMs?.toFixed(0)} ms`);
      expect(outageMs).toBeGreaterThanOrEqual(3000);
      expect(result.rtoMs).not.toBeNull();
      expect(result.rtoMs! - outageMs).toBeGreaterThanOrEqual(-250);
      expect(result.rtoMs! - outageMs).toBeLessThanOrEqual(lateMs);
      expect(result.ttdMs).not.toBeNull();
      // A refused or reset connection is seen at once; a slow or held reply only when it is late.
      expect(result.ttdMs!).toBeLessThan(name === 'proxy-down' || name === 'reset-peer' ? 500 : outageMs);
      expect(result.failedRequests).toBeGreaterThan(0);
    });
  }

  it('rehearses connection-loss end to end without losing an acknowledged write', async () => {
    const { result, load } = await runDrill(connectionLoss, { labDir: env.labDir, holdMs: 1500 });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['check-server', 'done'],
      ['count-connections', 'done'],
      ['restore-connectivity', 'done'],
      ['verify-service', 'done'],
    ]);
    expect(result.ackedWrites).toBeGreaterThan(100);
    expect(result.lostWrites).toBe(0);
    expect(result.rpoMs).toBe(0);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs!).toBeGreaterThanOrEqual(1500);
    expect(result.rtoMs!).toBeLessThan(5000);
    expect(result.requests).toBe(load!.timeline.length);
  });

  it('counts writes that committed but were never acknowledged apart from losses', async () => {
    // Responses from PostgreSQL are held (a downstream timeout toxic): INSERTs commit, their
    // acknowledgements never reach the service, and removing the toxic closes those connections.
    const responsesHeld: Fault = {
      name: 'responses-held',
      description: 'responses from PostgreSQL are held',
      inject: (ctx) => ctx.link.addToxic({ name: 'held', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } }),
      revert: (ctx) => ctx.link.removeToxic('held'),
    };
    const truth: Truth = {};
    // Only writes, so that the queries caught on the pooled connections are INSERTs.
    const { result } = await runDrill(calibrationScenario(responsesHeld, 1500, truth), { labDir: env.labDir, load: { writeRatio: 1 } });
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.unackedPresentWrites).toBeGreaterThan(0);
    expect(result.lostWrites).toBe(0);
  });

  it('reports a breach when the measured RTO exceeds the objective', async () => {
    const { result } = await runDrill(connectionLoss, { labDir: env.labDir, holdMs: 1000, objectives: { rtoMs: 200 } });
    expect(result.status).toBe('breached');
    expect(result.reasons.join('\n')).toMatch(/RTO .* exceeds the objective of 200 ms/);
  });

  it('refuses to call a drill passed when the fault had no effect (ineffective)', async () => {
    const nothing: Fault = { name: 'nothing', description: 'changes nothing', inject: async () => {}, revert: async () => {} };
    const { result } = await runDrill(calibrationScenario(nothing, 500, {}), { labDir: env.labDir });
    expect(result.status).toBe('ineffective');
    expect(result.reasons[0]).toMatch(/did not take effect: no request failed/);
  });

  it('a fault that reports evidence but that nothing noticed is ineffective too', async () => {
    const claims: Fault = { name: 'claims', description: 'says it broke something', inject: async () => ({ detail: 'backend 1 holds a lock' }), revert: async () => {} };
    const { result } = await runDrill(calibrationScenario(claims, 500, {}), { labDir: env.labDir });
    expect(result.status).toBe('ineffective');
    expect(result.fault.evidence).toBe('backend 1 holds a lock');
    expect(result.reasons[0]).toMatch(/It reported "backend 1 holds a lock", but the service did not notice/);
  });

  it('a PostgreSQL error a fault raises is reported as what it is (SQLSTATE and message), not as a bug', async () => {
    const failing: Fault = {
      name: 'failing',
      description: 'runs SQL that fails',
      inject: async (ctx) => {
        await ctx.target.query('payments_db', 'SELECT * FROM no_such_table');
      },
      revert: async () => {},
    };
    const { result } = await runDrill(calibrationScenario(failing, 500, {}), { labDir: env.labDir });
    expect(result.status).toBe('error');
    expect(result.reasons[0]).toMatch(/^PostgreSQL ERROR 42P01: relation "no_such_table" does not exist/);
    expect(result.reasons[0]).not.toMatch(/internal error|    at /);
  });
});
