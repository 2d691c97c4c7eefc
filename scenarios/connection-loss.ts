import { defineScenario } from '../src/core/scenario.ts';
import { proxyDown } from '../src/faults/proxy-down.ts';
import { resetPeer } from '../src/faults/reset-peer.ts';
import connectionLoss from '../runbooks/connection-loss.ts';

/**
 * The seed's "Database connection lost": the service's path to PostgreSQL
 * goes down under load. Objective from the seed's table: RTO 5 min; writes
 * the service acknowledged (committed) must not be lost.
 */
export default defineScenario({
  id: 'connection-loss',
  title: 'Database connection lost',
  seedScenario: 'Database connection lost',
  description:
    'The network path between the payments service and PostgreSQL goes down while the service takes writes. The server stays up; the pool loses its connections and cannot open new ones until the path is restored.',
  tags: ['network', 'connection'],
  fault: proxyDown(),
  variants: {
    'reset-peer': {
      description: 'Every connection is reset (TCP RST) instead of refused, as when a firewall or load balancer drops the path.',
      fault: resetPeer(),
    },
  },
  holdMs: 5000,
  runbook: connectionLoss,
  objectives: { rtoMs: 5 * 60_000, rpoMs: 0 },
  load: { rate: 100, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 15 * 60_000 },
  warmupMs: 2000,
  observeMs: 4000,
});
