import { defineScenario } from '../src/core/scenario.ts';
import { killService } from '../src/faults/kill-service.ts';
import serviceCrash from '../runbooks/service-crash.ts';

/**
 * The seed's "Service crashes": the payments service is killed with SIGKILL
 * under load. Objective from the seed's table: RTO 2 min, RPO 0 (a write the
 * service acknowledged was committed first).
 */
export default defineScenario({
  id: 'service-crash',
  title: 'The service crashes',
  seedScenario: 'Service crashes',
  description: 'The payments service process is killed (SIGKILL) while it takes writes. The database is fine; the service must be restarted.',
  tags: ['service', 'process'],
  fault: killService(),
  holdMs: 5000,
  runbook: serviceCrash,
  objectives: { rtoMs: 2 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
  notFor: (system) => (system.external ? `pgdrill does not run the service at ${system.external.url} (system.service.url), so it cannot crash and restart it` : undefined),
});
