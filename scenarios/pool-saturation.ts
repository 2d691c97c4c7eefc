import { defineScenario } from '../src/core/scenario.ts';
import { poolHog } from '../src/faults/pool-hog.ts';
import poolSaturation from '../runbooks/pool-saturation.ts';

/**
 * PgBouncer's pool for the payments database is saturated: clients hold
 * every server connection in transactions that never end, and the
 * service's queries wait in the pooler (cl_waiting, maxwait) until they
 * time out. The seed's "connection exhaustion" row at the pooler: RTO
 * 5 min, RPO 0.
 */
export default defineScenario({
  id: 'pool-saturation',
  title: "PgBouncer's pool is saturated",
  seedScenario: 'Connection exhaustion (at the pooler)',
  description: "Clients of the payments database open transactions through PgBouncer and never end them, one per server connection of the pool. PostgreSQL has room, but in transaction mode the pool's connections are lent out: the service's queries wait in PgBouncer and time out.",
  tags: ['pooler', 'pool', 'connection'],
  fault: poolHog(),
  holdMs: 5000,
  runbook: poolSaturation,
  objectives: { rtoMs: 5 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
  needs: ['pooler'],
});
