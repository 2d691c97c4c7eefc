import { appendFileSync } from 'node:fs';
import { BugError, UserError, describeError, isHarnessBug } from '../core/errors.ts';
import { redact } from '../util/redact.ts';

/** Writes one line to stdout, secrets redacted. */
export function say(line: string): void {
  process.stdout.write(`${redact(line)}\n`);
}

/** Writes one line to stderr, secrets redacted. */
export function warn(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

/** Why a file operation failed, in words, for the codes a path the user gave can cause. */
const FILE_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EROFS: 'the filesystem is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'it already exists',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A file operation on a path that failed for a reason the user can fix (a
 * missing, unreadable or unwritable file): said in one paragraph, like a
 * `UserError`, when no command turned it into one itself.
 */
function describeFileProblem(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || typeof e.path !== 'string' || typeof e.syscall !== 'string' || !e.code || !FILE_PROBLEMS[e.code]) return undefined;
  return `pgdrill: could not ${e.syscall} ${e.path}: ${FILE_PROBLEMS[e.code]} (${e.code}).\nCheck that path and its permissions, or choose another.`;
}

/**
 * Prints a failure the way the CLI promises: an error that something
 * outside pgdrill raised (a user error, a failed command, a PostgreSQL
 * error with its SQLSTATE, detail and hint, a system error) as what it is,
 * without a stack; anything else as a bug with its stack, so it can be
 * reported.
 */
export function reportFailure(error: unknown): void {
  const fileProblem = describeFileProblem(error);
  if (fileProblem) {
    warn(fileProblem);
  } else if (error instanceof BugError) {
    warn(`pgdrill: internal error (a bug in pgdrill): ${error.stack ?? error.message}`);
  } else if (!isHarnessBug(error)) {
    warn(`pgdrill: ${describeError(error)}`);
  } else {
    warn(`pgdrill: unexpected error (a bug in pgdrill, please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** Appends Markdown to the GitHub Actions job summary when $GITHUB_STEP_SUMMARY is set (a file that cannot be written is a `UserError`). */
export function appendStepSummary(markdown: () => string): void {
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  try {
    appendFileSync(summary, markdown());
  } catch (error) {
    throw new UserError(`Could not append to $GITHUB_STEP_SUMMARY (${summary}): ${(error as Error).message}.`);
  }
}
