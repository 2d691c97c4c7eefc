import { BugError, describeError, isHarnessBug } from '../core/errors.ts';
import { redact } from '../util/redact.ts';

/** Writes one line to stdout, secrets redacted. */
export function say(line: string): void {
  process.stdout.write(`${redact(line)}\n`);
}

/** Writes one line to stderr, secrets redacted. */
export function warn(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

/**
 * Prints a failure the way the CLI promises: an error that something
 * outside pgdrill raised (a user error, a failed command, a PostgreSQL
 * error with its SQLSTATE, detail and hint, a system error) as what it is,
 * without a stack; anything else as a bug with its stack, so it can be
 * reported.
 */
export function reportFailure(error: unknown): void {
  if (error instanceof BugError) {
    warn(`pgdrill: internal error (a bug in pgdrill): ${error.stack ?? error.message}`);
  } else if (!isHarnessBug(error)) {
    warn(`pgdrill: ${describeError(error)}`);
  } else {
    warn(`pgdrill: unexpected error (a bug in pgdrill, please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
