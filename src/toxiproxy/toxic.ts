/**
 * The one interface every toxic implements, and the shared shapes around it.
 *
 * A toxic is registered once by name as a {@link ToxicKind}. For every
 * connection and direction it applies to, the link asks the kind for a fresh
 * {@link ToxicStage}: the per-connection state machine that receives the
 * chunks flowing in that direction and decides what to pass on, when.
 */

/** Direction of one half of a connection: upstream = client → server, downstream = server → client. */
export type Direction = 'upstream' | 'downstream';

/** A toxic's attributes: every attribute the kind declares, as an integer (missing ones are 0). */
export type ToxicAttributes = Readonly<Record<string, number>>;

/**
 * Where a stage sends what it lets through. Calls made after the stage was
 * retired (flushed, destroyed or replaced) are ignored, so a stray timer can
 * never corrupt a link.
 */
export interface StageOutput {
  /** Pass a chunk on to the next stage (or to the destination socket). */
  push(chunk: Buffer): void;
  /** Pass EOF on. After this nothing more is forwarded; EOF at the destination closes the connection. */
  end(): void;
  /** Abort the whole connection with a TCP RST on both sockets. */
  reset(): void;
}

/**
 * One toxic applied to one direction of one connection.
 *
 * Contract:
 * - `write` and `end` are called in stream order; `end` at most once, and no `write` after it.
 * - The stage forwards through its {@link StageOutput}, never reordering what it passes.
 * - `flush` is an interrupt (toxic removed, or replaced after a toxicity re-roll): it must
 *   synchronously push everything it holds, in order, then `end()` if an EOF was pending,
 *   and cancel its timers. The stage is never called again afterwards.
 * - `destroy` cancels timers and drops everything (the connection is gone).
 * - `held` reports buffered bytes so the link can stop reading its source (backpressure).
 */
export interface ToxicStage {
  write(chunk: Buffer): void;
  end(): void;
  /** Apply new attributes in place, keeping state. Absent: the link flushes this stage and creates a new one. */
  update?(attributes: ToxicAttributes): void;
  flush(): void;
  destroy(): void;
  held?(): number;
}

/** A toxic type as registered by name (for example `latency`). Stateless; shared by every proxy. */
export interface ToxicKind {
  /** The `type` string of the HTTP API. */
  readonly type: string;
  /** Attribute names, in the order they are reported; every one defaults to 0. */
  readonly attributes: readonly string[];
  /** True when removing the toxic closes the connection instead of flushing it (`timeout`). */
  readonly endOnRemove?: boolean;
  /** Create the stage for one connection direction. */
  create(out: StageOutput, attributes: ToxicAttributes): ToxicStage;
}

/**
 * A toxic as the API knows it: one per proxy, shared by all of the proxy's
 * connections. Mutated in place by updates (attributes merged, toxicity).
 */
export interface ToxicConfig {
  readonly name: string;
  readonly type: string;
  /** The stream string as the client sent it (matched case-insensitively). */
  readonly stream: string;
  readonly direction: Direction;
  readonly kind: ToxicKind;
  toxicity: number;
  attributes: Record<string, number>;
}

/** Monotonic milliseconds (fractional). */
export function now(): number {
  return performance.now();
}
