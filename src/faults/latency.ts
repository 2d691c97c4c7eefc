import type { Fault } from './fault.ts';

/** Name of the toxic this fault adds, so that it removes only its own. */
export const LATENCY_TOXIC = 'pgdrill_latency';

/**
 * Queries become slow: a `latency` toxic delays every reply from
 * PostgreSQL by `latencyMs` (± `jitterMs`), on open pooled connections too,
 * as a congested or distant network path does.
 */
export function latency(options: { latencyMs?: number; jitterMs?: number } = {}): Fault {
  const latencyMs = options.latencyMs ?? 3000;
  const jitterMs = options.jitterMs ?? 0;
  return {
    name: 'latency',
    description: `every reply from PostgreSQL is delayed by ${latencyMs} ms${jitterMs ? ` ± ${jitterMs} ms` : ''}`,
    inject: (ctx) => ctx.link.addToxic({ name: LATENCY_TOXIC, type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: latencyMs, jitter: jitterMs } }),
    revert: (ctx) => ctx.link.removeToxic(LATENCY_TOXIC),
  };
}
