import { describeError } from '../core/errors.ts';
import type { StepResult } from '../core/result.ts';
import { StepUnavailableError, type Runbook, type RunbookStep, type StepContext, type Verification } from '../core/runbook.ts';
import type { DrillClock } from '../measure/clock.ts';
import { redact } from '../util/redact.ts';
import type { RunbookListener } from './events.ts';
import type { StepContextHandle } from './step-context.ts';
import { sleep } from '../util/sleep.ts';
import { WorkScope } from '../util/work-scope.ts';

const DEFAULT_STEP_TIMEOUT_MS = 60_000;
const DEFAULT_VERIFY_INTERVAL_MS = 250;
/** How long an aborted step's work has to stop (its children killed, its queries cancelled) before the step is left behind. */
export const STEP_STOP_GRACE_MS = 15_000;

class StepTimeout extends Error {}

/** Formats rows of a SQL step as short lines for the step's output. */
export function formatRows(rows: Array<Record<string, unknown>>, limit = 20): string[] {
  if (rows.length === 0) return ['(no rows)'];
  const lines = rows.slice(0, limit).map((row) =>
    Object.entries(row)
      .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : String(v)}`)
      .join('  '),
  );
  if (rows.length > limit) lines.push(`... ${rows.length - limit} more rows`);
  return lines;
}

/**
 * Runs one step to its end: its action (or its SQL command when it has no
 * action of its own), then its verification, polled until it holds. The
 * whole step is bounded by its timeout and by `signal`. The step's work runs
 * in a work scope: on abort or timeout its child processes are killed (with
 * their process trees) and its queries cancelled, and the step rejects only
 * once its work settled (or after STEP_STOP_GRACE_MS), so nothing of it
 * still runs when cleanup begins.
 */
export async function executeStep(step: RunbookStep, ctx: StepContext, signal: AbortSignal): Promise<Verification | undefined> {
  const timeoutMs = step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const stepCtx: StepContext = { ...ctx, signal: both };
  const scope = new WorkScope(both);
  const guard = <T>(start: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const failure = () => (timeout.aborted && !signal.aborted ? new StepTimeout(`step timed out after ${timeoutMs} ms`) : both.reason);
      if (both.aborted) return reject(failure());
      const work = scope.run(start);
      const onAbort = () => {
        // Wait for the work to stop (the scope is stopping it), bounded: then report the abort.
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<boolean>((r) => { timer = setTimeout(() => r(true), STEP_STOP_GRACE_MS); });
        void Promise.race([work.then(() => false, () => false), gaveUp]).then((late) => {
          clearTimeout(timer);
          const reason = failure();
          const note = ` (the step's work did not stop within ${STEP_STOP_GRACE_MS / 1000} s)`;
          if (!late) reject(reason);
          else if (reason instanceof StepTimeout) reject(new StepTimeout(reason.message + note));
          else reject(new Error(describeError(reason) + note));
        });
      };
      both.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => { if (!both.aborted) resolve(value); },
        (error) => { if (!both.aborted) reject(error); },
      ).finally(() => both.removeEventListener('abort', onAbort));
    });

  if (step.run) {
    await guard(() => step.run!(stepCtx));
  } else if (step.command?.kind === 'sql' && step.command.database) {
    const { database, text } = step.command;
    const rows = await guard(() => ctx.sql(database, text));
    for (const line of formatRows(rows)) ctx.output(line);
  } else if (step.command?.kind === 'shell') {
    const { text } = step.command;
    await guard(() => stepCtx.shell(text));
  }
  if (!step.verify) return undefined;
  let last: Verification = { ok: false, detail: 'not checked yet' };
  for (;;) {
    try {
      last = await guard(() => step.verify!(stepCtx));
    } catch (error) {
      // A verification that cannot run on this target will not start working by being polled.
      if (error instanceof StepUnavailableError) throw error;
      if (error instanceof StepTimeout || both.aborted) throw new StepTimeout(`verification did not hold within ${timeoutMs} ms; last seen: ${last.detail}`);
      last = { ok: false, detail: describeError(error) };
    }
    if (last.ok) return last;
    if (performance.now() + (step.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS) > deadline) {
      throw new StepTimeout(`verification did not hold within ${timeoutMs} ms; last seen: ${last.detail}`);
    }
    try {
      await sleep(step.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS, both);
    } catch {
      throw new StepTimeout(`verification did not hold within ${timeoutMs} ms; last seen: ${last.detail}`);
    }
  }
}

/**
 * Runs a runbook unattended, step after step, emitting events as it goes.
 * A failed step stops the runbook: the steps after it are recorded as
 * skipped. An abort (SIGINT) marks the running step interrupted.
 */
export async function runRunbookUnattended(
  runbook: Runbook,
  contexts: StepContextHandle,
  options: { clock: DrillClock; signal: AbortSignal; onEvent?: RunbookListener },
): Promise<StepResult[]> {
  const { clock, signal } = options;
  const emit: RunbookListener = options.onEvent ?? (() => {});
  const results: StepResult[] = [];
  let stopReason: string | undefined;
  for (const step of runbook.steps) {
    if (stopReason) {
      results.push({ id: step.id, title: step.title, status: 'skipped', durationMs: 0, startedAtMs: clock.now(), detail: stopReason });
      continue;
    }
    const startedAtMs = clock.now();
    emit({ type: 'step-start', at: startedAtMs, stepId: step.id, title: step.title });
    const output = (line: string) => emit({ type: 'step-output', at: clock.now(), stepId: step.id, line: redact(line) });
    let result: StepResult;
    try {
      const verification = await executeStep(step, contexts.forStep(output, signal), signal);
      if (verification) emit({ type: 'step-verify', at: clock.now(), stepId: step.id, ok: true, detail: redact(verification.detail) });
      result = { id: step.id, title: step.title, status: 'done', durationMs: clock.now() - startedAtMs, startedAtMs };
      if (verification) result.detail = redact(verification.detail);
    } catch (error) {
      const interrupted = signal.aborted;
      result = { id: step.id, title: step.title, status: interrupted ? 'interrupted' : 'failed', durationMs: clock.now() - startedAtMs, startedAtMs, detail: redact(describeError(error)) };
      stopReason = interrupted ? 'not run: the drill was interrupted' : `not run: step "${step.id}" failed`;
    }
    results.push(result);
    emit({ type: 'step-end', at: clock.now(), stepId: step.id, status: result.status, durationMs: result.durationMs, ...(result.detail ? { detail: result.detail } : {}) });
  }
  return results;
}
