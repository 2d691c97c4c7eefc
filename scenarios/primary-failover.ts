import primaryFailoverRunbook from '../runbooks/primary-failover.ts';
import { defineScenario, type Scenario } from '../src/core/scenario.ts';
import { killPrimary } from '../src/faults/kill-primary.ts';

/**
 * The seed's "Primary failure with replica", with asynchronous streaming
 * replication (the seed's "continuous replication": RPO seconds) or, with
 * `synchronous`, a primary that acknowledges a commit only once the
 * replica has flushed it (then no acknowledged write may be lost).
 */
export function primaryFailoverScenario(options: { synchronous?: boolean } = {}): Scenario {
  const synchronous = options.synchronous ?? false;
  return defineScenario({
    id: 'primary-failover',
    title: 'Primary fails, replica promoted',
    seedScenario: 'Primary failure with replica',
    description: `The primary's postmaster is killed (SIGKILL) while the payments service takes writes; a streaming replica (${synchronous ? 'synchronous' : 'asynchronous'}) is promoted and the service path repointed to it.`,
    tags: ['failover', 'replication'],
    fault: killPrimary(),
    holdMs: 5000,
    needs: ['replica'],
    runbook: primaryFailoverRunbook,
    objectives: { rtoMs: 60_000, rpoMs: synchronous ? 0 : 5000 },
    load: { rate: 50, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 30 * 60_000 },
    warmupMs: 3000,
    observeMs: 4000,
    // The replica must exist before the load: the drill needs no earlier `lab up --replica`.
    async setup(ctx) {
      const replica = await ctx.drillLab.ensureReplica({ synchronous });
      ctx.log(`Replica streaming on ${replica.endpoint.host}:${replica.endpoint.port} (${synchronous ? 'synchronous: commits wait for its flush' : 'asynchronous'}).`);
    },
  });
}

/** Asynchronous replication, as the seed describes it (RPO seconds). */
export default primaryFailoverScenario();
