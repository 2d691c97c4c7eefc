import { connectionHog } from './connection-hog.ts';
import { corruptPage } from './corrupt-page.ts';
import { databaseLost } from './database-lost.ts';
import { deleteAllRows } from './delete-all-rows.ts';
import { dropColumn } from './drop-column.ts';
import { dropTable } from './drop-table.ts';
import type { Fault } from './fault.ts';
import { killPooler } from './kill-pooler.ts';
import { killPrimary } from './kill-primary.ts';
import { killService } from './kill-service.ts';
import { latency } from './latency.ts';
import { lockBlocker } from './lock-blocker.ts';
import { migrationLock } from './migration-lock.ts';
import { noFault } from './no-fault.ts';
import { poolHog } from './pool-hog.ts';
import { proxyDown } from './proxy-down.ts';
import { resetPeer } from './reset-peer.ts';

/** Every fault pgdrill knows, by registry name, each built with its defaults. */
export const FAULTS: Readonly<Record<string, () => Fault>> = {
  'proxy-down': () => proxyDown(),
  'reset-peer': () => resetPeer(),
  latency: () => latency(),
  'lock-blocker': () => lockBlocker(),
  'migration-lock': () => migrationLock(),
  'connection-hog': () => connectionHog(),
  'kill-service': () => killService(),
  'kill-primary': () => killPrimary(),
  'kill-pooler': () => killPooler(),
  'pool-hog': () => poolHog(),
  'corrupt-page': () => corruptPage(),
  'delete-all-rows': () => deleteAllRows(),
  'drop-table': () => dropTable(),
  'drop-column': () => dropColumn(),
  'database-lost': () => databaseLost(),
  none: () => noFault(),
};

export type { Fault, FaultContext } from './fault.ts';
export { connectionHog, corruptPage, databaseLost, deleteAllRows, dropColumn, dropTable, killPooler, killPrimary, killService, latency, lockBlocker, migrationLock, noFault, poolHog, proxyDown, resetPeer };
