import type { StepContext } from '../core/runbook.ts';
import { rdsCall } from './aws-errors.ts';

/** One mutating RDS call as a step makes it: the API name, the instance it acts on, its exact parameters. */
export interface RdsCallSpec<P extends object> {
  call: string;
  instance: string;
  params: P;
}

/** The call and its parameters in one line, exactly as sent (what `--dry-run` and the step's command show). */
export function showCall(spec: RdsCallSpec<object>): string {
  return `RDS ${spec.call} ${JSON.stringify(spec.params)}`;
}

/**
 * Makes one mutating call from a step: prints it with its exact parameters
 * first, then the AWS request id of the answer (`$metadata.requestId`), both
 * into the step's output (journaled), and keeps `{ call, requestId, at }` in
 * the session memory under `rds-call:<call>`. An error is `rdsError` (a
 * one-paragraph message); throttling was retried by the SDK.
 */
export async function mutatingCall<P extends object, R extends { $metadata: { requestId?: string } }>(ctx: StepContext, spec: RdsCallSpec<P>, send: (params: P) => Promise<R>): Promise<R> {
  ctx.output(`→ ${showCall(spec)}`);
  const out = await rdsCall(spec.call, spec.instance, () => send(spec.params));
  const requestId = out.$metadata.requestId ?? 'none';
  ctx.output(`← ${spec.call} accepted, request id ${requestId}`);
  ctx.memory.set(`rds-call:${spec.call}`, { call: spec.call, instance: spec.instance, requestId, at: new Date().toISOString() });
  return out;
}
