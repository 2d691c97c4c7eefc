import type { StepContext } from '../core/runbook.ts';

/**
 * What the steps of one runbook hand to each other (what step 2 found, the
 * side cluster step 3 made), kept in the session's memory under one key:
 * journaled in a guided session, so that a resumed session (after a quit,
 * a crash, kill -9) reads what the earlier process wrote. Values are JSON.
 */
export interface RunbookState<T> {
  /** What earlier steps handed on (a copy: change it with `set`). */
  of(ctx: StepContext): Partial<T>;
  /** Hands `value` on under `key` (written to the journal before it takes effect). */
  set<K extends keyof T>(ctx: StepContext, key: K, value: T[K]): void;
  /** Forgets everything (a new recovery starts). */
  reset(ctx: StepContext): void;
}

/** The runbook state kept in the session memory under `key` (the runbook's id). */
export function runbookState<T extends object>(key: string): RunbookState<T> {
  const memoryKey = `runbook:${key}`;
  return {
    of(ctx) {
      return { ...(ctx.memory.get<Partial<T>>(memoryKey) ?? {}) };
    },
    set(ctx, field, value) {
      ctx.memory.set(memoryKey, { ...(ctx.memory.get<Partial<T>>(memoryKey) ?? {}), [field]: value });
    },
    reset(ctx) {
      ctx.memory.clear(memoryKey);
    },
  };
}
