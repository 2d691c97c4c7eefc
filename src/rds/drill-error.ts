import { UserError, describeError, isHarnessBug } from '../core/errors.ts';
import type { CleanupStack } from '../util/cleanup.ts';

/**
 * What an RDS drill does with an error: before the fault (`started` false)
 * a `UserError` is a refusal or bad input, so everything is cleaned up and
 * it is thrown (exit 1, nothing measured); otherwise the error becomes the
 * result's reason (a bug with its stack, anything else as what it is).
 */
export async function drillFailure(error: unknown, started: boolean, cleanup: CleanupStack): Promise<string> {
  if (error instanceof UserError && !started) {
    await cleanup.dispose();
    throw error;
  }
  return isHarnessBug(error) ? `internal error (a bug in pgdrill): ${(error as Error).stack ?? String(error)}` : describeError(error);
}
