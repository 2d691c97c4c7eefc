/**
 * One request of the load, as the timeline records it. Times are `DrillClock`
 * milliseconds. `ok` means the service answered as it should (2xx); anything
 * else (an error status, a refused or reset connection, a timeout) is a
 * failure.
 */
export interface RequestRecord {
  kind: 'write' | 'read';
  sentAt: number;
  endAt: number;
  ok: boolean;
  /** HTTP status, or null when no response came. */
  status: number | null;
  /** Why it failed without a status (timeout, ECONNRESET, ...). */
  error?: string;
  /** The payment id written, or read. */
  id?: string;
}

const WRITE = 1;
const OK = 2;
/** Succeeded, but later than the latency objective: a failure whose error is its latency. */
const SLOW = 4;
/** Error codes are interned; past this many distinct strings, further ones share one entry. */
const MAX_ERRORS = 0xffff;

/**
 * Every request of a drill's load, kept compactly: one column per field
 * (typed arrays grown by doubling), error strings interned, ids kept in a
 * table referred to by index. A 30-minute drill at 1000 requests/s (1.8 M
 * requests) takes about 25 bytes per request here, against hundreds as one
 * object per request.
 *
 * Read it through the accessors (`sentAt(i)`, `endAt(i)`, `ok(i)`, ...) for
 * `i` in `0 .. length - 1`, which allocate nothing; `at(i)` and iteration
 * build one `RequestRecord` per request and are for small timelines (tests,
 * a sample in a message). Order is insertion order (the load appends each
 * request when it ends, so in answer order); nothing may assume a sort.
 */
export class RequestTimeline implements Iterable<RequestRecord> {
  #length = 0;
  #sentAt: Float64Array;
  #endAt: Float64Array;
  #flags: Uint8Array;
  /** HTTP status; 0 for none. */
  #status: Uint16Array;
  /** Index into `#errors`; 0 for none. */
  #error: Uint16Array;
  /** Index into `#ids`; -1 for none. */
  #id: Int32Array;
  readonly #errors: string[] = [''];
  readonly #errorIndex = new Map<string, number>();
  readonly #ids: string[] = [];

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.#sentAt = new Float64Array(n);
    this.#endAt = new Float64Array(n);
    this.#flags = new Uint8Array(n);
    this.#status = new Uint16Array(n);
    this.#error = new Uint16Array(n);
    this.#id = new Int32Array(n);
  }

  /** A timeline holding these records, in their order. */
  static from(records: Iterable<RequestRecord>): RequestTimeline {
    const timeline = new RequestTimeline();
    for (const r of records) timeline.push(r);
    return timeline;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends one request. */
  push(r: RequestRecord): void {
    this.add(r.kind, r.sentAt, r.endAt, r.ok, r.status, r.error, r.id);
  }

  /** Appends one request without building a record first. */
  add(kind: 'write' | 'read', sentAt: number, endAt: number, ok: boolean, status: number | null, error?: string, id?: string): void {
    if (this.#length === this.#sentAt.length) this.#grow(this.#length * 2);
    const i = this.#length++;
    this.#sentAt[i] = sentAt;
    this.#endAt[i] = endAt;
    this.#flags[i] = (kind === 'write' ? WRITE : 0) | (ok ? OK : 0);
    this.#status[i] = status ?? 0;
    this.#error[i] = error ? this.#intern(error) : 0;
    if (id === undefined) this.#id[i] = -1;
    else this.#id[i] = this.#ids.push(id) - 1;
  }

  kind(i: number): 'write' | 'read' {
    return this.#flags[i]! & WRITE ? 'write' : 'read';
  }

  isWrite(i: number): boolean {
    return (this.#flags[i]! & WRITE) !== 0;
  }

  sentAt(i: number): number {
    return this.#sentAt[i]!;
  }

  endAt(i: number): number {
    return this.#endAt[i]!;
  }

  ok(i: number): boolean {
    return (this.#flags[i]! & OK) !== 0;
  }

  status(i: number): number | null {
    return this.#status[i] || null;
  }

  error(i: number): string | undefined {
    if (this.#flags[i]! & SLOW) return `slow (${Math.round(this.#endAt[i]! - this.#sentAt[i]!)} ms)`;
    const e = this.#error[i]!;
    return e === 0 ? undefined : this.#errors[e];
  }

  id(i: number): string | undefined {
    const k = this.#id[i]!;
    return k < 0 ? undefined : this.#ids[k];
  }

  /** Request `i` as one object (allocates: not for loops over a long timeline). */
  at(i: number): RequestRecord {
    const record: RequestRecord = { kind: this.kind(i), sentAt: this.sentAt(i), endAt: this.endAt(i), ok: this.ok(i), status: this.status(i) };
    const error = this.error(i);
    if (error !== undefined) record.error = error;
    const id = this.id(i);
    if (id !== undefined) record.id = id;
    return record;
  }

  *[Symbol.iterator](): Iterator<RequestRecord> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  /** Every request as an object (for small timelines and tests). */
  toArray(): RequestRecord[] {
    return Array.from(this);
  }

  /** How many requests satisfy `test` (called with each index). */
  count(test: (i: number) => boolean): number {
    let n = 0;
    for (let i = 0; i < this.#length; i++) if (test(i)) n++;
    return n;
  }

  /** A new timeline of the requests whose index passes `keep`, in the same order (strings shared, not copied). */
  filter(keep: (i: number) => boolean): RequestTimeline {
    const out = new RequestTimeline(this.#length);
    // The same error table, so the error column copies as it is.
    for (const [text, index] of this.#errorIndex) {
      out.#errorIndex.set(text, index);
      out.#errors[index] = text;
    }
    for (let i = 0; i < this.#length; i++) {
      if (!keep(i)) continue;
      const j = out.#length++;
      out.#sentAt[j] = this.#sentAt[i]!;
      out.#endAt[j] = this.#endAt[i]!;
      out.#flags[j] = this.#flags[i]!;
      out.#status[j] = this.#status[i]!;
      out.#error[j] = this.#error[i]!;
      const k = this.#id[i]!;
      out.#id[j] = k < 0 ? -1 : out.#ids.push(this.#ids[k]!) - 1;
    }
    return out;
  }

  /**
   * A copy in which every request that succeeded later than `slowRequestMs`
   * after it was sent is a failure, its error its latency (`slow (N ms)`).
   */
  withLatencyObjective(slowRequestMs: number): RequestTimeline {
    const out = this.filter(() => true);
    for (let i = 0; i < out.#length; i++) {
      if (out.#flags[i]! & OK && out.#endAt[i]! - out.#sentAt[i]! > slowRequestMs) out.#flags[i] = (out.#flags[i]! & ~OK) | SLOW;
    }
    return out;
  }

  /** The latest answer time, or -Infinity when empty. */
  lastEndAt(): number {
    let last = -Infinity;
    for (let i = 0; i < this.#length; i++) if (this.#endAt[i]! > last) last = this.#endAt[i]!;
    return last;
  }

  /** Bytes held by the columns and tables (ids and error strings counted as references only). */
  get byteSize(): number {
    const columns = this.#sentAt.byteLength + this.#endAt.byteLength + this.#flags.byteLength + this.#status.byteLength + this.#error.byteLength + this.#id.byteLength;
    return columns + 8 * (this.#ids.length + this.#errors.length);
  }

  #intern(error: string): number {
    let index = this.#errorIndex.get(error);
    if (index === undefined) {
      if (this.#errors.length >= MAX_ERRORS) return MAX_ERRORS - 1;
      index = this.#errors.push(error) - 1;
      this.#errorIndex.set(error, index);
    }
    return index;
  }

  #grow(capacity: number): void {
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.#length) as never);
      return next;
    };
    this.#sentAt = grow(this.#sentAt, (n) => new Float64Array(n));
    this.#endAt = grow(this.#endAt, (n) => new Float64Array(n));
    this.#flags = grow(this.#flags, (n) => new Uint8Array(n));
    this.#status = grow(this.#status, (n) => new Uint16Array(n));
    this.#error = grow(this.#error, (n) => new Uint16Array(n));
    this.#id = grow(this.#id, (n) => new Int32Array(n));
  }
}

/** A write the load saw acknowledged (HTTP 201 after COMMIT): the ledger's unit. */
export interface LedgerEntry {
  id: string;
  ackedAt: number;
}

/** A harness event on the timeline: the fault, each runbook step, checks. */
export interface TimelineEvent {
  at: number;
  kind: 'fault-injected' | 'fault-reverted' | 'step-start' | 'step-end' | 'recovered' | 'load-start' | 'load-stop' | 'note';
  label: string;
}
