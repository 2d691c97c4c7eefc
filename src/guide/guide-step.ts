import { StepUnavailableError, type RunbookStep, type StepCapability, type StepContext, type Verification } from '../core/runbook.ts';

const WHY: Record<StepCapability, string> = {
  link: "it acts on the drill's network path between the service and the database (the fault proxy), which only `pgdrill drill` sets up",
  serviceUrl: 'it calls the sample service, which only `pgdrill drill` starts',
  service: 'it acts on the sample service, which only `pgdrill drill` starts',
  lab: "it works on the pgdrill lab's own files, and this session's target is not the lab",
  pooler: "it talks to PgBouncer's admin console, and this session has none (give --pooler-url with its URL, database pgbouncer: postgres://admin@host:6432/pgbouncer, or run the lab with `lab up --pooler`)",
};

/** Why a step cannot act by itself without `capability`, in one sentence. */
export function unavailableReason(capability: StepCapability): string {
  return `pgdrill cannot do this step here: ${WHY[capability]}.`;
}

/**
 * The context a step sees in a guided session: the same as in a drill, but
 * reading a capability the session lacks throws `StepUnavailableError`
 * instead of yielding undefined, so that the session can tell "this step
 * cannot act here" (then a person follows its manual instructions) from
 * "the recovery action failed".
 */
export function withUnavailable(ctx: StepContext, missing: readonly StepCapability[]): StepContext {
  const out = { ...ctx } as StepContext;
  for (const capability of missing) {
    if ((ctx as unknown as Record<string, unknown>)[capability] !== undefined) continue;
    Object.defineProperty(out, capability, {
      enumerable: false,
      configurable: true,
      get() {
        throw new StepUnavailableError(capability, unavailableReason(capability));
      },
    });
  }
  return out;
}

/**
 * The runbook step as a guided session hands it to the engine's
 * `executeStep`: the same step, its functions given the guided context,
 * every verification result reported to `onVerification` as it is polled.
 * With `checkOnly`, only the verification runs (a person did the work).
 */
export function guideStep(step: RunbookStep, options: { missing: readonly StepCapability[]; onVerification?: (v: Verification) => void; checkOnly?: boolean }): RunbookStep {
  const guided: RunbookStep = { ...step };
  if (options.checkOnly) {
    delete guided.run;
    delete guided.command;
  } else if (step.run) {
    const run = step.run;
    guided.run = (ctx) => run(withUnavailable(ctx, options.missing));
  }
  if (step.verify) {
    const verify = step.verify;
    guided.verify = async (ctx) => {
      const verification = await verify(withUnavailable(ctx, options.missing));
      options.onVerification?.(verification);
      return verification;
    };
  }
  return guided;
}
