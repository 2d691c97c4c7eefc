import type { Fault } from './fault.ts';
import { proxyDown } from './proxy-down.ts';
import { resetPeer } from './reset-peer.ts';

/** Every fault pgdrill knows, by registry name, each built with its defaults. */
export const FAULTS: Readonly<Record<string, () => Fault>> = {
  'proxy-down': () => proxyDown(),
  'reset-peer': () => resetPeer(),
};

export type { Fault, FaultContext } from './fault.ts';
export { proxyDown, resetPeer };
