import type { StepContext } from '../core/runbook.ts';
import type { Lab } from '../lab/lab.ts';

/** The environment variable that allows destructive recovery steps on a target other than the lab. */
export const ALLOW_NON_LAB_ENV = 'PGDRILL_ALLOW_NON_LAB';

/**
 * The lab a destructive recovery step may act on. Refuses (throws) when the
 * step's target is not the harness's own lab, unless the operator set
 * PGDRILL_ALLOW_NON_LAB=1; even then these automated steps need the lab's
 * files (data directory, WAL archive), so they refuse when there is none.
 */
export function requireLab(ctx: StepContext, action: string): Lab {
  requireLabTarget(ctx, action);
  if (!ctx.lab) throw new Error(`cannot ${action} automatically here: this step needs the lab's data directory and WAL archive; follow the manual instructions`);
  return ctx.lab;
}

/**
 * Refuses (throws) a destructive step whose target is not one of pgdrill's
 * own labs (embedded or in containers), unless PGDRILL_ALLOW_NON_LAB=1.
 */
export function requireLabTarget(ctx: StepContext, action: string): void {
  if (!ctx.target.isLab && process.env[ALLOW_NON_LAB_ENV] !== '1') {
    throw new Error(`refusing to ${action} on ${ctx.target.name}: destructive steps act only on the lab (set ${ALLOW_NON_LAB_ENV}=1 to allow another target, and follow the manual instructions)`);
  }
}
