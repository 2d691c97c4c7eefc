/**
 * pgdrill's exit codes. A harness failure never reads as a pass or a breach.
 */
export const ExitCode = {
  /** Every objective was met. */
  ok: 0,
  /** The harness itself failed: could not start, bad definition, a bug. */
  harnessFailed: 1,
  /** At least one objective (RTO or RPO) was breached. */
  objectiveBreached: 2,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
} as const;
