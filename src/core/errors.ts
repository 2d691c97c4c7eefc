/**
 * Errors the harness distinguishes, after cli-kit's AbortError/BugError split.
 *
 * - `UserError`: something the operator can fix (a bad flag, an invalid
 *   scenario, missing PostgreSQL binaries, an unreachable database). It
 *   carries a one-paragraph message and the next step to take. The CLI prints
 *   both, without a stack trace, and exits 1.
 * - `BugError`: the harness itself went wrong. Printed with its stack; exit 1.
 *
 * Neither is ever reported as a pass or as a breached objective.
 */
import { isShellFailure } from '../util/shell-text.ts';

const USER_ERROR = Symbol.for('pgdrill.UserError');

/**
 * True when `value` carries `brand`: how pgdrill's error classes recognise
 * their instances across copies of this module (a user's scenario file
 * imports 'pgdrill' from its TypeScript sources while the CLI may run
 * compiled; both copies' errors must be the same kind of error).
 */
export function hasErrorBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

export class UserError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasErrorBrand(value, USER_ERROR);
  }
  /** What the operator should do next, one sentence. */
  readonly nextStep: string | undefined;
  constructor(message: string, nextStep?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
    this.nextStep = nextStep;
    Object.defineProperty(this, USER_ERROR, { value: true });
  }
}

/** An internal failure of pgdrill: a broken invariant, not the operator's doing. */
export class BugError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BugError';
  }
}

/** A command run by the harness that exited badly: the zx-style error value. */
export class CommandError extends Error {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  readonly durationMs: number;
  constructor(init: { command: string; exitCode: number | null; signal: string | null; stderrTail: string; durationMs: number }) {
    const how = init.signal ? `was killed by ${init.signal}` : `exited with code ${init.exitCode}`;
    super(`${init.command} ${how} after ${Math.round(init.durationMs)} ms${init.stderrTail ? `: ${init.stderrTail.trim()}` : ''}`);
    this.name = 'CommandError';
    this.command = init.command;
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.stderrTail = init.stderrTail;
    this.durationMs = init.durationMs;
  }
}

/** Message of any thrown value, for reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The fields node-postgres keeps from a PostgreSQL ErrorResponse (its `DatabaseError`). */
interface ServerErrorFields {
  code: string;
  severity?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

/** Whether `error` is an error the PostgreSQL server sent (node-postgres `DatabaseError`: SQLSTATE and severity). */
export function isServerError(error: unknown): error is Error & ServerErrorFields {
  if (!(error instanceof Error)) return false;
  const e = error as Partial<ServerErrorFields>;
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/** Whether `error` is a Node.js system error (ECONNREFUSED, ENOENT, ...): something outside pgdrill failed. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9_]+$/.test((error as NodeJS.ErrnoException).code!);
}

/** The last `lines` non-empty lines of a command's stderr, joined with " | ". */
function stderrTail(text: string, lines = 5): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(' | ');
}

/**
 * Whether `error` is a bug in pgdrill rather than an error that a fault, a
 * step or the outside world raised: anything but a `UserError`, a
 * `CommandError`, a PostgreSQL server error or a Node.js system error.
 */
export function isHarnessBug(error: unknown): boolean {
  return !(error instanceof UserError || error instanceof CommandError || isShellFailure(error) || isServerError(error) || isSystemError(error));
}

/**
 * One formatter for an error that a fault, a step or a command raised,
 * reported as what it is:
 * - a PostgreSQL error: `PostgreSQL ERROR 42P01: message (detail: ...; hint: ...; where: ...)`;
 * - a `CommandError`: the command, its exit code or signal, and the end of its stderr;
 * - a shell step's failure (zx's `ProcessOutput`): its exit code or signal and the end of its stderr;
 * - a `UserError`: its message and the next step;
 * - anything else: its message (the caller decides whether it is a bug, see `isHarnessBug`).
 */
export function describeError(error: unknown): string {
  if (isServerError(error)) {
    const extra = [error.detail && `detail: ${error.detail}`, error.hint && `hint: ${error.hint}`, error.where && `where: ${error.where.split('\n')[0]}`].filter(Boolean);
    return `PostgreSQL ${error.severity ?? 'ERROR'} ${error.code}: ${error.message}${extra.length ? ` (${extra.join('; ')})` : ''}`;
  }
  if (error instanceof CommandError) {
    const how = error.signal ? `was killed by ${error.signal}` : error.exitCode === null ? 'could not be started' : `exited with code ${error.exitCode}`;
    const tail = stderrTail(error.stderrTail);
    return `command \`${error.command}\` ${how} after ${Math.round(error.durationMs)} ms${tail ? `; stderr: ${tail}` : ' (no stderr)'}`;
  }
  if (isShellFailure(error)) {
    const how = error.signal ? `was killed by ${error.signal}` : `exited with code ${error.exitCode}`;
    // Some programs say why on stdout (pg_isready: "host:port - no response"): the end of it stands in for stderr.
    const tail = stderrTail(error.stderr);
    const said = tail ? `; stderr: ${tail}` : stderrTail(error.stdout) ? `; output: ${stderrTail(error.stdout)}` : ' (no output)';
    return `shell command ${how} after ${Math.round(error.duration)} ms${said}`;
  }
  if (error instanceof UserError) return `${error.message}${error.nextStep ? `\n${error.nextStep}` : ''}`;
  return errorMessage(error);
}
