import os from 'node:os';

/** Every container, network and volume pgdrill creates carries `pgdrill=1`. */
export const LABEL_PGDRILL = 'pgdrill';
/** The lab it belongs to (a digest of the lab directory). */
export const LABEL_LAB = 'pgdrill.lab';
/** The run that created it (one per `lab up` or drill that made the containers). */
export const LABEL_RUN = 'pgdrill.run';
/** `persistent` (`lab up --target docker`, removed by `lab down`) or `ephemeral` (a drill's own, removed when it ends). */
export const LABEL_MODE = 'pgdrill.mode';
/** The pgdrill process that created it and the host it runs on: an ephemeral resource whose process is gone is a leftover. */
export const LABEL_PID = 'pgdrill.pid';
export const LABEL_HOST = 'pgdrill.host';

/** The labels of one run's resources. */
export function runLabels(labId: string, runId: string, mode: 'persistent' | 'ephemeral'): Record<string, string> {
  return { [LABEL_PGDRILL]: '1', [LABEL_LAB]: labId, [LABEL_RUN]: runId, [LABEL_MODE]: mode, [LABEL_PID]: String(process.pid), [LABEL_HOST]: os.hostname() };
}
