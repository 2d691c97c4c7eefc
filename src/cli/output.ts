import { BugError, CommandError, UserError } from '../core/errors.ts';
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
 * Prints a failure the way the CLI promises: a user error as one paragraph
 * (what is wrong, what to do) without a stack; anything else as a bug with
 * its stack, so it can be reported.
 */
export function reportFailure(error: unknown): void {
  if (error instanceof UserError) {
    warn(`pgdrill: ${error.message}${error.nextStep ? `\n${error.nextStep}` : ''}`);
  } else if (error instanceof CommandError) {
    warn(`pgdrill: ${error.message}`);
  } else if (error instanceof BugError) {
    warn(`pgdrill: internal error (a bug in pgdrill): ${error.stack ?? error.message}`);
  } else {
    warn(`pgdrill: unexpected error (a bug in pgdrill, please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
