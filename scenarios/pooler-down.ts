import { defineScenario } from '../src/core/scenario.ts';
import { killPooler } from '../src/faults/kill-pooler.ts';
import poolerDown from '../runbooks/pooler-down.ts';

/**
 * PgBouncer dies under load (SIGKILL) while PostgreSQL is fine. The seed
 * has no row for the pooler itself; its "Database connection lost" row
 * (RTO 5 min) is what the services see. No acknowledged write may be lost:
 * a write is acknowledged only after its commit.
 */
export default defineScenario({
  id: 'pooler-down',
  title: 'PgBouncer is down',
  seedScenario: 'Database connection lost (the pooler)',
  description: 'PgBouncer, between the payments service and PostgreSQL, is killed (SIGKILL) while the service takes writes. PostgreSQL keeps running; the service gets "connection refused" from its path until the pooler runs again.',
  tags: ['pooler', 'connection'],
  fault: killPooler(),
  holdMs: 5000,
  runbook: poolerDown,
  objectives: { rtoMs: 5 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
  needs: ['pooler'],
});
