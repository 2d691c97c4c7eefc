import type { DrillResult } from '../core/result.ts';
import type { Scenario } from '../core/scenario.ts';
import { runDrill, type DrillOptions, type DrillRecord } from './drill.ts';

/**
 * The same scenario measured twice, on the same lab: first with the service
 * straight on PostgreSQL (through the fault proxy), then with PgBouncer in
 * the path. `holds` says whether the pooler made the difference the
 * scenario's `poolerClaim` promises: fewer failed requests and a recovery
 * no slower; `summary` says so in words, numbers included, and also when
 * it does not hold.
 */
export interface PoolerComparison {
  without: DrillRecord;
  with: DrillRecord;
  holds: boolean;
  summary: string;
}

function describe(r: DrillResult): string {
  const rto = r.rtoMs === null ? 'no recovery while observed' : `RTO ${(r.rtoMs / 1000).toFixed(1)} s`;
  return `${rto}, ${r.failedRequests} of ${r.requests} requests failed, ${r.lostWrites} acknowledged writes lost (${r.status})`;
}

/**
 * Two RTOs closer than this are the same recovery time: a refused or reset
 * path's outage is measured within 250 ms of the truth (the calibration in
 * test/engine/drill.test.ts), so "no slower" allows the error of both.
 */
export const RTO_RESOLUTION_MS = 500;

/** Whether the pooled run is better in what the claim promises: fewer failed requests, a recovery no slower (within `RTO_RESOLUTION_MS`), no more writes lost. */
export function poolerClaimHolds(without: DrillResult, pooled: DrillResult): boolean {
  const rto = (r: DrillResult) => r.rtoMs ?? Number.POSITIVE_INFINITY;
  return pooled.failedRequests < without.failedRequests && rto(pooled) <= rto(without) + RTO_RESOLUTION_MS && pooled.lostWrites <= without.lostWrites;
}

/**
 * Runs `scenario` without and then with the pooler and compares them. The
 * pooled record carries the comparison as a note (reports show it); a run
 * that failed as a harness (`error`) makes the comparison say so instead
 * of judging.
 */
export async function comparePooler(scenario: Scenario, options: DrillOptions = {}): Promise<PoolerComparison> {
  const log = options.log;
  log?.('Run 1 of 2: without the pooler (service → fault proxy → PostgreSQL).');
  const without = await runDrill(scenario, { ...options, pooler: false });
  log?.('Run 2 of 2: with PgBouncer (service → fault proxy → PgBouncer → PostgreSQL).');
  const pooled = await runDrill(scenario, { ...options, pooler: true });
  const a = without.result;
  const b = pooled.result;
  const claim = scenario.poolerClaim ?? 'PgBouncer in the path makes the service fail less and recover no slower';
  let holds = false;
  let summary: string;
  if (a.status === 'error' || b.status === 'error') {
    summary = `The pooler's effect could not be measured: the run ${a.status === 'error' ? 'without' : 'with'} the pooler failed as a harness (${(a.status === 'error' ? a : b).reasons[0] ?? 'no reason'}).`;
  } else {
    holds = poolerClaimHolds(a, b);
    summary = `Without the pooler: ${describe(a)}. With PgBouncer: ${describe(b)}. The seed's claim (${claim}) ${holds ? 'holds' : 'does NOT hold'} in this measurement.`;
  }
  b.notes.push(summary);
  return { without, with: pooled, holds, summary };
}
