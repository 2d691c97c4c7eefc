import os from 'node:os';
import type { ContainerRuntimeClient } from 'testcontainers';
import { isProcessAlive } from '../util/process-alive.ts';
import { LABEL_HOST, LABEL_LAB, LABEL_MODE, LABEL_PGDRILL, LABEL_PID, LABEL_RUN } from './labels.ts';

/** Which of pgdrill's resources to remove. */
export type ReapSelector = { run: string } | { lab: string } | 'leftovers';

/** What a removal removed, by kind. */
export interface Reaped {
  containers: string[];
  networks: string[];
  volumes: string[];
}

function isLeftover(labels: Record<string, string> | undefined): boolean {
  if (!labels || labels[LABEL_MODE] !== 'ephemeral' || labels[LABEL_HOST] !== os.hostname()) return false;
  const pid = Number(labels[LABEL_PID]);
  return !Number.isInteger(pid) || (pid !== process.pid && !isProcessAlive(pid));
}

function selects(selector: ReapSelector, labels: Record<string, string> | undefined): boolean {
  if (!labels || labels[LABEL_PGDRILL] !== '1') return false;
  if (selector === 'leftovers') return isLeftover(labels);
  if ('run' in selector) return labels[LABEL_RUN] === selector.run;
  return labels[LABEL_LAB] === selector.lab;
}

/**
 * Removes pgdrill's containers (killed, with their anonymous volumes), then
 * networks and volumes, chosen by label: one run's, one lab's, or the
 * leftovers of killed runs (ephemeral resources on this host whose pgdrill
 * process is gone). Never touches anything without the `pgdrill=1` label,
 * and needs no reaper container.
 */
export async function reap(client: ContainerRuntimeClient, selector: ReapSelector): Promise<Reaped> {
  const docker = client.container.dockerode;
  const filters = { label: [`${LABEL_PGDRILL}=1`] };
  const reaped: Reaped = { containers: [], networks: [], volumes: [] };
  for (const info of await docker.listContainers({ all: true, filters })) {
    if (!selects(selector, info.Labels)) continue;
    await docker.getContainer(info.Id).remove({ force: true, v: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
    reaped.containers.push(info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12));
  }
  for (const info of await docker.listNetworks({ filters })) {
    if (!selects(selector, info.Labels)) continue;
    await docker.getNetwork(info.Id).remove().catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
    reaped.networks.push(info.Name);
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const info of Volumes ?? []) {
    if (!selects(selector, info.Labels)) continue;
    await docker.getVolume(info.Name).remove().catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
    reaped.volumes.push(info.Name);
  }
  return reaped;
}

/** One line saying what `reap` removed ("2 containers, 1 network, 2 volumes"). */
export function describeReaped(r: Reaped): string {
  const part = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${part(r.containers.length, 'container')}, ${part(r.networks.length, 'network')}, ${part(r.volumes.length, 'volume')}`;
}
