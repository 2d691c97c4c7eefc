import { UserError, describeError, isServerError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { CHECK_GROUPS, CheckSkipped, type Check, type CheckResult } from './check.ts';
import type { CheckContext } from './context.ts';
import { CHECKS } from './index.ts';

/**
 * The checks `--only` names: each item a check id or a group name (a group
 * brings all its checks), in registry order. An unknown name is a
 * `UserError` listing the known ones.
 */
export function selectChecks(only: readonly string[] | undefined, all: readonly Check<any>[] = CHECKS): Check<any>[] {
  if (!only || only.length === 0) return [...all];
  const groups = new Set<string>(CHECK_GROUPS);
  const unknown = only.filter((n) => !groups.has(n) && !all.some((c) => c.id === n));
  if (unknown.length) {
    throw new UserError(`--only names no check or group "${unknown.join('", "')}".`, `Use check ids (${all.map((c) => c.id).join(', ')}) or groups (${CHECK_GROUPS.join(', ')}), separated by commas.`);
  }
  return all.filter((c) => only.includes(c.id) || only.includes(c.group));
}

/** Runs one check: read, then judge; a `CheckSkipped` or a permission error is a skip with its reason. Other errors propagate. */
export async function runCheck(check: Check<any>, ctx: CheckContext): Promise<CheckResult> {
  const base = { id: check.id, group: check.group, title: check.title, expected: check.expected, seedSection: check.seedSection };
  let facts: unknown;
  try {
    facts = await check.read(ctx);
  } catch (error) {
    if (error instanceof CheckSkipped) return { ...base, status: 'skip', found: error.reason, fix: null };
    if (isServerError(error) && error.code === '42501') return { ...base, status: 'skip', found: `${ctx.session.user} may not read it: ${error.message} (see the minimal role in the README)`, fix: null };
    throw new UserError(`The check ${check.id} could not read the server: ${describeError(error)}`, 'Check that the server is up and reachable, then run pgdrill check again.');
  }
  const verdict = check.judge(facts);
  return { ...base, status: verdict.status, found: verdict.found, fix: verdict.status === 'pass' ? null : (verdict.fix ?? null) };
}

/** Runs the checks one after another (each read-only), in order. */
export async function runChecks(checks: readonly Check<any>[], ctx: CheckContext, onResult?: (r: CheckResult) => void): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks) {
    const r = await runCheck(check, ctx);
    onResult?.(r);
    out.push(r);
  }
  return out;
}

/** The audit's overall status: `fail` when a check failed (or warned, with `failOn: 'warn'`), else `warn` when one warned, else `pass`. */
export function overallStatus(results: readonly CheckResult[], failOn: 'fail' | 'warn' = 'fail'): 'pass' | 'warn' | 'fail' {
  if (results.some((r) => r.status === 'fail' || (failOn === 'warn' && r.status === 'warn'))) return 'fail';
  if (results.some((r) => r.status === 'warn')) return 'warn';
  return 'pass';
}

/** Exit code of an audit: 2 when it failed, else 0. */
export function checkExitCode(status: 'pass' | 'warn' | 'fail'): number {
  return status === 'fail' ? ExitCode.objectiveBreached : ExitCode.ok;
}
