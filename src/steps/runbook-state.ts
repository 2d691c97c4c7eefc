import type { StepContext } from '../core/runbook.ts';

/** Per-target state of one runbook's session: `of` reads (and creates) it, `reset` forgets it. */
export interface RunbookState<T> {
  of(ctx: StepContext): Partial<T>;
  reset(ctx: StepContext): void;
}

/**
 * State that the steps of one runbook hand to each other during a session
 * (what step 2 found, the side cluster step 3 made), kept per target so
 * that two sessions on two labs never mix.
 */
export function perTargetState<T extends object>(): RunbookState<T> {
  const sessions = new Map<string, Partial<T>>();
  const key = (ctx: StepContext) => ctx.lab?.labDir ?? ctx.target.name;
  return {
    of(ctx) {
      let s = sessions.get(key(ctx));
      if (!s) sessions.set(key(ctx), (s = {}));
      return s;
    },
    reset(ctx) {
      sessions.delete(key(ctx));
    },
  };
}
