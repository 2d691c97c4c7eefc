import type { Fault } from './fault.ts';

/** Name of the toxic this fault adds, so that it removes only its own. */
export const RESET_PEER_TOXIC = 'pgdrill_reset_peer';

/**
 * Connections to the database are reset: a `reset_peer` toxic makes the
 * proxy answer every connection, open or new, with a TCP RST after
 * `afterMs` (the client sees ECONNRESET), as when a firewall or load
 * balancer drops the path.
 */
export function resetPeer(options: { afterMs?: number } = {}): Fault {
  const afterMs = options.afterMs ?? 0;
  return {
    name: 'reset-peer',
    description: `every connection to PostgreSQL is reset (TCP RST${afterMs ? ` after ${afterMs} ms` : ''})`,
    inject: (ctx) => ctx.link.addToxic({ name: RESET_PEER_TOXIC, type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: afterMs } }),
    revert: (ctx) => ctx.link.removeToxic(RESET_PEER_TOXIC),
  };
}
