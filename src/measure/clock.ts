/**
 * The drill's clock: durations on the monotonic clock (milliseconds since the
 * drill began, `now()`), wall-clock time only for display (`wall(ms)`).
 * Every timestamp in a timeline, ledger or step record is a `now()` value.
 */
export class DrillClock {
  readonly startedWall: number;
  private readonly startedMono: number;

  constructor() {
    this.startedWall = Date.now();
    this.startedMono = performance.now();
  }

  /** Milliseconds since the drill began, monotonic. */
  now(): number {
    return performance.now() - this.startedMono;
  }

  /** ISO wall-clock time of a `now()` value. */
  wall(ms: number): string {
    return new Date(this.startedWall + ms).toISOString();
  }
}
