import { defineScenario } from '../src/core/scenario.ts';
import { connectionHog } from '../src/faults/connection-hog.ts';
import connectionExhaustion from '../runbooks/connection-exhaustion.ts';

/**
 * The seed's connection exhaustion: other sessions take every free
 * connection, idle and idle in a transaction, and the payments service gets
 * "too many clients" when its pool reconnects. Objective: RTO 5 min, RPO 0.
 */
export default defineScenario({
  id: 'connection-exhaustion',
  title: 'Connections exhausted',
  seedScenario: 'Database connection lost (connection limit)',
  description:
    'Sessions of the auth and admin services take every free connection of the cluster, half idle and half idle in a transaction. The payments service loses its connections and cannot open new ones: "sorry, too many clients already".',
  tags: ['connection', 'pool'],
  fault: connectionHog(),
  holdMs: 5000,
  runbook: connectionExhaustion,
  objectives: { rtoMs: 5 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
  poolerClaim: 'the services reach PostgreSQL through PgBouncer, which keeps its own server connections: when other clients take every free connection, the service keeps being served',
});
