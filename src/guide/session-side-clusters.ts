import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/lab.ts';
import { ScratchCluster, type ScratchClusterRecord } from '../lab/scratch-cluster.ts';
import { resolveServerUser } from '../lab/server-user.ts';

function isScratchClusterRecord(value: unknown): value is ScratchClusterRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.root === 'string' && typeof v.name === 'string' && typeof v.port === 'number' && typeof v.superuser === 'string';
}

/**
 * Every side or scratch cluster a session's steps handed on in its memory
 * (a `ScratchClusterRecord` at any depth of any value), each once.
 */
export function sideClustersIn(memory: Readonly<Record<string, unknown>>): ScratchClusterRecord[] {
  const found = new Map<string, ScratchClusterRecord>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== 'object' || value === null) return;
    if (isScratchClusterRecord(value)) {
      found.set(path.join(value.root, value.name), value);
      return;
    }
    for (const inner of Array.isArray(value) ? value : Object.values(value)) walk(inner, depth + 1);
  };
  walk(Object.values(memory), 0);
  return [...found.values()];
}

/**
 * Stops and removes the side clusters a session recorded whose directories
 * are still there (running or not), and returns the directories removed.
 * Only directories under the lab's scratch root are touched: a record
 * pointing anywhere else (a journal edited by hand) is skipped.
 */
export async function discardSideClusters(lab: Lab, records: readonly ScratchClusterRecord[], log: (line: string) => void = () => {}): Promise<string[]> {
  const removed: string[] = [];
  for (const record of records) {
    const dir = path.join(record.root, record.name);
    if (path.resolve(record.root) !== path.resolve(lab.scratchRoot) || !existsSync(dir)) continue;
    if (existsSync(path.join(dir, 'data', 'PG_VERSION'))) {
      await (await ScratchCluster.attach(record, { binaries: lab.pg(), user: resolveServerUser(), log, start: false })).destroy();
    } else {
      // A restore cut short: no cluster to stop, only files.
      rmSync(dir, { recursive: true, force: true });
    }
    removed.push(dir);
  }
  return removed;
}
