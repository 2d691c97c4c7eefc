import type { Socket } from 'node:net';
import type { Direction, StageOutput, ToxicConfig, ToxicStage } from './toxic.ts';

/** Stop reading the source when the toxics of one direction hold more than this many bytes… */
export const HELD_HIGH_WATER = 8 * 1024 * 1024;
/** …and read again once they hold no more than this. */
export const HELD_LOW_WATER = 4 * 1024 * 1024;

/**
 * After moving this many bytes a link yields once: it stops reading its
 * source until the event loop's check phase (setImmediate), then reads on.
 * Without it a saturated link reads and writes megabytes in one turn of the
 * loop (libuv reads a busy socket up to 32 times per turn), and the HTTP API
 * and the other connections, which share the loop, wait that long. Costs one
 * pause/resume per 256 KiB; delays no chunk (the yield comes after the write).
 */
export const TURN_QUOTA = 256 * 1024;

/** Something a chunk can be handed to: the next node of the chain, or the destination socket. */
interface Target {
  write(chunk: Buffer): void;
  end(): void;
}

/** What a link tells its connection. */
export interface LinkEvents {
  /** EOF went through the whole chain and reached the destination socket. */
  eof(link: Link): void;
  /** A toxic asked to abort the connection with a TCP RST. */
  reset(): void;
}

interface LiveOutput extends StageOutput {
  live: boolean;
}

/** One toxic in one link: its stage (null when the toxicity roll said "not this connection"). */
class Node implements Target {
  next: Target;
  stage: ToxicStage | null = null;
  /** EOF has been passed on; nothing more goes out. */
  ended = false;
  private output: LiveOutput | null = null;

  constructor(
    private readonly link: Link,
    readonly config: ToxicConfig,
    next: Target,
  ) {
    this.next = next;
  }

  write(chunk: Buffer): void {
    const stage = this.stage;
    if (stage !== null) stage.write(chunk);
    else this.emit(chunk);
  }

  end(): void {
    const stage = this.stage;
    if (stage !== null) stage.end();
    else this.emitEnd();
  }

  emit(chunk: Buffer): void {
    if (this.ended) return;
    this.next.write(chunk);
    this.link.released();
  }

  emitEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.next.end();
  }

  /** Roll toxicity and create the stage for this connection. */
  attach(): void {
    const config = this.config;
    if (!(Math.random() < config.toxicity)) return;
    const output: LiveOutput = {
      live: true,
      push: (chunk) => {
        if (output.live) this.emit(chunk);
      },
      end: () => {
        if (output.live) this.emitEnd();
      },
      reset: () => {
        if (output.live) this.link.requestReset();
      },
    };
    this.output = output;
    this.stage = config.kind.create(output, config.attributes);
  }

  /** The toxic's attributes or toxicity changed: update in place, or flush and re-create (re-rolling toxicity). */
  reattach(): void {
    const wasActive = this.stage !== null;
    const willBeActive = Math.random() < this.config.toxicity;
    if (wasActive && willBeActive && this.stage!.update !== undefined) {
      this.stage!.update(this.config.attributes);
      return;
    }
    this.retire('flush');
    if (willBeActive) this.attach();
  }

  /**
   * Take the stage out of service. `flush` hands over what it holds; `end`
   * drops it and passes EOF on (toxics whose removal closes the connection);
   * `destroy` drops everything.
   */
  retire(mode: 'flush' | 'end' | 'destroy'): void {
    const stage = this.stage;
    const output = this.output;
    this.stage = null;
    this.output = null;
    if (stage === null || output === null) return;
    if (mode === 'flush') {
      stage.flush();
      output.live = false;
    } else {
      output.live = false;
      stage.destroy();
      if (mode === 'end') this.emitEnd();
    }
  }

  held(): number {
    const stage = this.stage;
    return stage !== null && stage.held !== undefined ? stage.held() : 0;
  }
}

/**
 * One direction of one proxied connection: reads its source socket, runs the
 * chunks through that direction's toxics (in insertion order) and writes them
 * to its destination socket.
 *
 * Contract:
 * - With no toxics, chunks go straight from the source's 'data' handler (or
 *   {@link deliverView}) to `destination.write` (no allocation, no timer).
 * - Toxics can be added, updated and removed while data flows; removal flushes
 *   what the toxic held, in order (a toxic with `endOnRemove` ends the link instead).
 * - Backpressure: the source is paused while the destination needs 'drain'
 *   or while the toxics hold more than {@link HELD_HIGH_WATER} bytes.
 * - Fairness: every {@link TURN_QUOTA} bytes the link yields to the event loop once.
 * - The connection owns the sockets: it reports source EOF with
 *   {@link sourceEnded}, a dead destination with {@link destinationGone}, and
 *   calls {@link destroy} when the connection is finished.
 */
export class Link {
  private first: Target;
  private readonly nodes: Node[] = [];
  private readonly sink: Target;
  private sourceDone = false;
  private sinkDone = false;
  private eofDelivered = false;
  private waitingDrain = false;
  private heldPaused = false;
  /** Bytes this link may still move before it yields (see {@link TURN_QUOTA}). */
  private turnBudget = TURN_QUOTA;
  private turnPaused = false;
  private destroyed = false;

  constructor(
    readonly direction: Direction,
    private readonly source: Socket,
    private readonly destination: Socket,
    toxics: readonly ToxicConfig[],
    private readonly events: LinkEvents,
  ) {
    this.sink = {
      write: (chunk) => this.writeDestination(chunk),
      end: () => this.endDestination(),
    };
    this.first = this.sink;
    for (const config of toxics) this.addToxic(config);
  }

  /**
   * Feed a chunk that the owner read itself into a buffer it wants to reuse
   * (a source read through `onread`, which emits no 'data' events). `view`
   * is handed on as is only when it can go straight into the destination;
   * when toxics are in the chain or the destination already has a backlog it
   * is copied first, so that nothing held for long pins the read buffer.
   * Returns true when the read buffer is free for the next read, false when
   * the destination kept `view` queued (the owner must read into a new buffer).
   */
  deliverView(view: Buffer): boolean {
    if (this.nodes.length !== 0 || this.destination.writableLength !== 0) {
      this.onData(Buffer.from(view));
      return true;
    }
    this.onData(view);
    // A write that the kernel took whole completes synchronously: nothing refers to view any more.
    return this.destination.writableLength === 0;
  }

  /** Start reading the source. */
  start(): void {
    this.source.on('data', this.onData);
    this.destination.on('drain', this.onDrain);
    this.source.resume();
  }

  /** Append a toxic to the end of the chain (new toxics apply to open connections too). */
  addToxic(config: ToxicConfig): void {
    if (this.destroyed) return;
    const node = new Node(this, config, this.sink);
    const last = this.nodes[this.nodes.length - 1];
    if (last !== undefined) last.next = node;
    else this.first = node;
    this.nodes.push(node);
    node.attach();
  }

  /** The toxic's attributes/toxicity changed. */
  updateToxic(config: ToxicConfig): void {
    if (this.destroyed) return;
    this.nodes.find((n) => n.config === config)?.reattach();
  }

  /** Remove a toxic: splice it out, then let it flush into its successor (or end the link). */
  removeToxic(config: ToxicConfig): void {
    if (this.destroyed) return;
    const index = this.nodes.findIndex((n) => n.config === config);
    if (index < 0) return;
    const node = this.nodes[index]!;
    const previous = index > 0 ? this.nodes[index - 1]! : null;
    if (previous !== null) previous.next = node.next;
    else this.first = node.next;
    this.nodes.splice(index, 1);
    node.retire(config.kind.endOnRemove === true ? 'end' : 'flush');
    this.released();
  }

  /** The source delivered EOF (or died): send EOF through the chain; discard anything read later. */
  sourceEnded(): void {
    if (this.sourceDone || this.destroyed) return;
    this.sourceDone = true;
    if (!this.source.destroyed) this.source.resume();
    this.first.end();
  }

  /** The destination socket is closed: drop whatever still comes out of the chain. */
  destinationGone(): void {
    this.sinkDone = true;
  }

  /** Stop everything: cancel toxic timers, drop held data, detach listeners. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.source.off('data', this.onData);
    this.destination.off('drain', this.onDrain);
    for (const node of this.nodes) node.retire('destroy');
    this.nodes.length = 0;
  }

  /** Bytes held by this link's toxics. */
  held(): number {
    let total = 0;
    for (const node of this.nodes) total += node.held();
    return total;
  }

  /** @internal Called by a node after it released data downstream. */
  released(): void {
    if (this.heldPaused && this.held() <= HELD_LOW_WATER) {
      this.heldPaused = false;
      this.maybeResume();
    }
  }

  /** @internal Called by a node whose toxic asked for a reset. */
  requestReset(): void {
    if (!this.destroyed) this.events.reset();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.sourceDone || this.destroyed) return;
    this.first.write(chunk);
    this.turnBudget -= chunk.length;
    if (this.turnBudget <= 0 && !this.turnPaused) {
      this.turnPaused = true;
      this.source.pause();
      setImmediate(this.nextTurn);
    }
    if (this.nodes.length !== 0 && !this.heldPaused && !this.destroyed && this.held() > HELD_HIGH_WATER) {
      this.heldPaused = true;
      this.source.pause();
    }
  };

  private readonly onDrain = (): void => {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    this.maybeResume();
  };

  private readonly nextTurn = (): void => {
    this.turnBudget = TURN_QUOTA;
    this.turnPaused = false;
    this.maybeResume();
  };

  private maybeResume(): void {
    if (!this.waitingDrain && !this.heldPaused && !this.turnPaused && !this.destroyed && !this.source.destroyed) this.source.resume();
  }

  private writeDestination(chunk: Buffer): void {
    const destination = this.destination;
    if (this.sinkDone || this.eofDelivered || destination.destroyed || destination.writableEnded) return;
    if (!destination.write(chunk) && !this.waitingDrain && !this.sourceDone) {
      this.waitingDrain = true;
      this.source.pause();
    }
  }

  private endDestination(): void {
    if (this.eofDelivered || this.destroyed) return;
    this.eofDelivered = true;
    this.events.eof(this);
  }
}
