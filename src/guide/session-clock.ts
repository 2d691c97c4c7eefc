/**
 * The incident clock of a guided session: milliseconds since the session
 * first started. Within one process it advances on the monotonic clock; a
 * resumed session picks it up from the wall clock, so the time pgdrill was
 * not running (a crash, a lost connection) counts, as it does for the
 * incident.
 */
export class SessionClock {
  readonly startedWall: number;
  private readonly baseMono: number;
  private readonly baseOffset: number;

  constructor(startedWall: number = Date.now()) {
    this.startedWall = startedWall;
    this.baseMono = performance.now();
    this.baseOffset = Math.max(0, Date.now() - startedWall);
  }

  /** Milliseconds since the session started. */
  now(): number {
    return this.baseOffset + (performance.now() - this.baseMono);
  }
}

/** An incident-clock reading as +HH:MM:SS. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
