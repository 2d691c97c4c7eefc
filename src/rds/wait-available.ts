import { waitUntilDBInstanceAvailable, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { UserError, errorMessage } from '../core/errors.ts';
import { formatDuration } from '../report/format.ts';
import { iamActionOf } from './aws-errors.ts';
import type { WaiterTiming } from './rds-client.ts';

/** What the waiter saw at one poll: the instance's state and the time since waiting began. */
export interface WaitProgress {
  status: string;
  elapsedMs: number;
}

/**
 * Waits with the SDK's `waitUntilDBInstanceAvailable` (its polling, its
 * backoff between `timing.minDelay` and `maxDelay`, its failure states:
 * deleted, deleting, failed, incompatible-restore, incompatible-parameters)
 * and reports each poll's state through `onProgress` (read from the
 * waiter's own DescribeDBInstances answers by a client middleware, removed
 * afterwards). Resolves with the available instance; a failure state, a
 * timeout or an abort is a `UserError` naming the instance and what it
 * last saw.
 */
export async function waitAvailable(client: RDSClient, id: string, timing: WaiterTiming, onProgress: (p: WaitProgress) => void, signal?: AbortSignal): Promise<DBInstance> {
  const started = performance.now();
  const name = `pgdrill-wait-${id}-${Math.random().toString(36).slice(2)}`;
  let last: DBInstance | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'DescribeDBInstancesCommand') {
        const found = (result.output as { DBInstances?: DBInstance[] }).DBInstances?.find((i) => i.DBInstanceIdentifier === id);
        if (found) {
          last = found;
          onProgress({ status: found.DBInstanceStatus ?? 'unknown', elapsedMs: performance.now() - started });
        }
      }
      return result;
    },
    { step: 'initialize', name },
  );
  try {
    const out = await waitUntilDBInstanceAvailable({ client, ...timing, ...(signal ? { abortSignal: signal } : {}) }, { DBInstanceIdentifier: id });
    const instance = (out.reason as { DBInstances?: DBInstance[] } | undefined)?.DBInstances?.[0] ?? last;
    if (!instance) throw new UserError(`RDS reported ${id} available but returned no description of it.`, 'Describe it with `aws rds describe-db-instances` and go on by hand.');
    return instance;
  } catch (error) {
    if (error instanceof UserError) throw error;
    const seen = last ? `its last state was ${last.DBInstanceStatus}` : 'no description of it was seen';
    const waited = formatDuration(performance.now() - started);
    const kind = (error as Error).name;
    if (kind === 'TimeoutError') throw new UserError(`Waited ${waited} for the RDS instance ${id} to become available and gave up (${seen}).`, 'It may still be on its way: watch it with `aws rds describe-db-instances`, then retry this step (it waits again without repeating the call).');
    if (kind === 'AbortError') throw new UserError(`Stopped waiting for the RDS instance ${id} after ${waited} (${seen}); the operation itself goes on in AWS.`, 'Resume the session to wait again.');
    if (/AccessDenied|403/.test(errorMessage(error))) throw new UserError(`Waiting for ${id}: DescribeDBInstances was denied (${seen}).`, `Grant ${iamActionOf('DescribeDBInstances')}.`);
    throw new UserError(`The RDS instance ${id} will not become available: ${seen} after ${waited}.`, 'Read its events (aws rds describe-events --source-identifier <id>) for the cause; a failed restore must be deleted and made again.');
  } finally {
    client.middlewareStack.remove(name);
  }
}

/** A progress printer for a step: a line when the state changes or a minute passed, with the elapsed time and what is typical. */
export function progressLines(output: (line: string) => void, typical: string): (p: WaitProgress) => void {
  let lastStatus = '';
  let lastAt = -Infinity;
  return (p) => {
    if (p.status === lastStatus && p.elapsedMs - lastAt < 60_000) return;
    lastStatus = p.status;
    lastAt = p.elapsedMs;
    output(`state ${p.status}, ${formatDuration(p.elapsedMs)} elapsed (typical: ${typical})`);
  };
}
