import { now } from './toxic.ts';

interface Item {
  chunk: Buffer;
  /** When the chunk entered the line (ms, monotonic). */
  readonly arrival: number;
  /** When the chunk is released (ms, monotonic); never earlier than the item before it. */
  at: number;
}

/**
 * An ordered delay line: each chunk is released at its scheduled time, but
 * never before the chunk ahead of it, and never early (timers have about
 * 1 ms resolution, so a release can be up to about 1 ms late). One timer at
 * most, armed for the head. Shared by the toxics that hold data (latency,
 * slicer).
 *
 * Contract: `release` receives chunks in scheduling order; `drained` runs
 * each time the line becomes empty through timed releases; `flush` releases
 * everything synchronously; `clear` drops everything. Safe against
 * re-entrant `clear`/`flush` from inside `release`.
 */
export class DelayLine {
  private items: Item[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private bytes = 0;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly release: (chunk: Buffer) => void,
    private readonly drained: () => void = () => {},
  ) {}

  /** Bytes currently held. */
  get held(): number {
    return this.bytes;
  }

  /** Chunks currently held. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Schedule `chunk` for release at `at` (clamped so that order is kept). Releases now when due and the line is empty. */
  schedule(chunk: Buffer, at: number, arrival: number = now()): void {
    if (at < this.lastAt) at = this.lastAt;
    this.lastAt = at;
    if (this.size === 0 && at <= arrival) {
      this.release(chunk);
      return;
    }
    this.items.push({ chunk, arrival, at });
    this.bytes += chunk.length;
    this.arm();
  }

  /** Recompute every held chunk's release time from its arrival time (order still kept). */
  reschedule(timeFor: (arrival: number) => number): void {
    let last = Number.NEGATIVE_INFINITY;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      item.at = Math.max(last, timeFor(item.arrival));
      last = item.at;
    }
    this.lastAt = last;
    this.disarm();
    this.arm();
  }

  /** Release everything now, in order. */
  flush(): void {
    this.disarm();
    while (this.head < this.items.length) this.releaseHead();
    this.reset();
  }

  /** Drop everything and cancel the timer. */
  clear(): void {
    this.disarm();
    this.reset();
  }

  private reset(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    this.lastAt = Number.NEGATIVE_INFINITY;
  }

  private releaseHead(): void {
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as Item;
    this.head++;
    this.bytes -= item.chunk.length;
    this.release(item.chunk);
  }

  private arm(): void {
    if (this.timer !== null || this.size === 0) return;
    // Rounded up: a timer may fire a fraction of a millisecond early, and onTimer re-arms when nothing is due yet.
    const wait = Math.ceil(this.items[this.head]!.at - now());
    this.timer = setTimeout(this.onTimer, wait > 0 ? wait : 0);
  }

  private disarm(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const due = now();
    // Re-read this.items each turn: release() may clear or flush re-entrantly.
    while (this.head < this.items.length && this.items[this.head]!.at <= due) this.releaseHead();
    if (this.head >= this.items.length) {
      if (this.items.length !== 0) this.reset();
      this.drained();
    } else {
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.arm();
    }
  };
}
