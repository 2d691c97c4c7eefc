import type { ToxicKind } from './toxic.ts';
import { bandwidth } from './toxics/bandwidth.ts';
import { latency } from './toxics/latency.ts';
import { limitData } from './toxics/limit_data.ts';
import { noop } from './toxics/noop.ts';
import { resetPeer } from './toxics/reset_peer.ts';
import { slicer } from './toxics/slicer.ts';
import { slowClose } from './toxics/slow_close.ts';
import { timeout } from './toxics/timeout.ts';

const registry = new Map<string, ToxicKind>();

/**
 * Register a toxic type under its `type` name (the way Toxiproxy's
 * `toxics.Register` does). A later registration of the same name replaces the
 * earlier one. Registered types are accepted by every server in the process.
 */
export function registerToxic(kind: ToxicKind): void {
  registry.set(kind.type, kind);
}

/** The toxic type registered under `type` (exact, case-sensitive match), if any. */
export function getToxicKind(type: string): ToxicKind | undefined {
  return registry.get(type);
}

/** Names of every registered toxic type, in registration order. */
export function toxicTypes(): string[] {
  return [...registry.keys()];
}

for (const kind of [noop, latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData]) {
  registerToxic(kind);
}
