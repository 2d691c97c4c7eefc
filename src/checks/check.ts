import type { CheckContext } from './context.ts';

/** How a check judged what it read: `skip` when it could not read it (the reason is in `found`). */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** The readiness areas checks belong to; `--only` accepts a group name or a check id. */
export const CHECK_GROUPS = ['databases', 'security', 'connections', 'backups', 'monitoring', 'performance', 'drills'] as const;

/** One of `CHECK_GROUPS`. */
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/**
 * A check's judgement of the facts it read: the status, what was found (in
 * words, secrets never included) and, when it is not a pass, the fix (the
 * SQL or setting that makes it pass).
 */
export interface Verdict {
  status: Exclude<CheckStatus, 'skip'>;
  found: string;
  fix?: string;
}

/**
 * One readiness fact, as a unit: `read` asks the server (or pgdrill's own
 * records) for the facts, read-only, and `judge` turns them into a verdict
 * against the seed, with no I/O, so tests can exercise it on any facts.
 * `read` throws `CheckSkipped` (or a permission error) when it cannot see
 * what it needs; the runner reports that as `skip` with the reason. `id`
 * is stable (scripts and `--only` name it); `expected` is what the seed
 * asks, `seedSection` where it asks it.
 */
export interface Check<Facts = unknown> {
  id: string;
  group: CheckGroup;
  title: string;
  seedSection: string;
  expected: string;
  read(ctx: CheckContext): Promise<Facts>;
  judge(facts: Facts): Verdict;
}

/** Thrown by a check's `read` when it cannot see what it needs; `reason` says why (and what would let it). */
export class CheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

/** Declares a check (identity function keeping the facts type between `read` and `judge`). */
export function defineCheck<Facts>(check: Check<Facts>): Check<Facts> {
  return check;
}

/** The outcome of one check as reports carry it (the `--json` `checks[]` entries). */
export interface CheckResult {
  id: string;
  group: CheckGroup;
  title: string;
  status: CheckStatus;
  found: string;
  expected: string;
  fix: string | null;
  seedSection: string;
}

/** "a, b and 3 more": a short list for one line of output. */
export function listSome(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
