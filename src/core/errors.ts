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
export class UserError extends Error {
  /** What the operator should do next, one sentence. */
  readonly nextStep: string | undefined;
  constructor(message: string, nextStep?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
    this.nextStep = nextStep;
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
