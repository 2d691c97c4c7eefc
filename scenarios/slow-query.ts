import { defineScenario } from '../src/core/scenario.ts';
import { latency } from '../src/faults/latency.ts';
import { lockBlocker } from '../src/faults/lock-blocker.ts';
import slowQuery from '../runbooks/slow-query.ts';

/**
 * The seed's "Single query fails / slow query": replies from the database
 * slow down (a latency toxic on the link), or, in the `lock-blocker`
 * variant, a session holds a lock that every payment query queues behind.
 * Objective from the seed's table: RTO 1 min, RPO 0.
 */
export default defineScenario({
  id: 'slow-query',
  title: 'Queries are slow',
  seedScenario: 'Single query fails',
  description:
    "Replies from PostgreSQL are delayed by 1.5 s on the service's path: pooled connections stay open but every query is slow, the pool queues, requests time out. The lock-blocker variant holds ACCESS EXCLUSIVE on payments instead.",
  tags: ['network', 'latency', 'lock'],
  fault: latency({ latencyMs: 1500 }),
  variants: {
    'lock-blocker': {
      description: 'A session holds ACCESS EXCLUSIVE on payments in an open transaction; queries queue until their statement timeout.',
      fault: lockBlocker(),
    },
  },
  holdMs: 5000,
  runbook: slowQuery,
  objectives: { rtoMs: 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
});
