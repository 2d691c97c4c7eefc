import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { splitHostPort } from './address.ts';
import { Link } from './link.ts';
import type { Direction, ToxicConfig } from './toxic.ts';

/**
 * Size of the reusable buffer the upstream socket is read into. Node reads
 * accepted sockets into a fresh 64 KiB buffer per read; the upstream socket,
 * which we create, is read with `onread` into one buffer reused from read to
 * read, which spares an allocation (and its garbage) per read and takes
 * bigger reads under bulk transfer (measured with `npm run bench -- proxy`).
 */
const UPSTREAM_READ_BUFFER = 256 * 1024;

/** How long a socket being closed gracefully may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 5000;

/** What a connection needs from the proxy that accepted it. */
export interface ConnectionOwner {
  readonly name: string;
  /** The proxy's current toxics for a direction, in insertion order. */
  toxics(direction: Direction): readonly ToxicConfig[];
  /** The connection is finished (both sockets closed); forget it. */
  closed(connection: Connection): void;
  log(line: string): void;
}

/**
 * One accepted client and its upstream socket, joined by two {@link Link}s.
 *
 * Contract:
 * - The upstream is dialed when the client is accepted, never earlier; if the
 *   dial fails the client gets a graceful close (accept-then-EOF).
 * - The upstream socket is read into a reused buffer (see
 *   {@link UPSTREAM_READ_BUFFER}) and fed to the downstream link with
 *   `Link.deliverView`; the client socket is read with 'data' events.
 * - EOF that reaches one destination closes that socket and sends EOF into the
 *   other direction, whose toxics flush before the other socket closes.
 * - `abort` destroys both sockets at once; `reset` aborts with a TCP RST.
 * - The owner's `closed` is called exactly once, when both sockets are closed
 *   (or on abort/reset).
 */
export class Connection {
  readonly label: string;
  private upstream: Socket | null = null;
  private up: Link | null = null;
  private down: Link | null = null;
  private clientClosed = false;
  private upstreamClosed = false;
  private disposed = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly client: Socket,
    private readonly upstreamAddress: string,
  ) {
    this.label = `${client.remoteAddress ?? '?'}:${client.remotePort ?? '?'}`;
  }

  /** Dial the upstream and, once connected, start both directions. */
  open(): void {
    const client = this.client;
    client.on('error', () => {});
    client.on('end', () => this.up?.sourceEnded());
    client.on('close', () => {
      this.clientClosed = true;
      if (this.up === null) {
        this.upstream?.destroy();
        this.dispose();
        return;
      }
      this.up.sourceEnded();
      this.down?.destinationGone();
      this.maybeDispose();
    });

    let target;
    try {
      target = splitHostPort(this.upstreamAddress);
    } catch (err) {
      this.refuse(err);
      return;
    }
    let readBuffer: Buffer | null = null;
    let readBufferFree = true;
    const upstream = connect({
      host: target.host === '' ? 'localhost' : target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: {
        // Called for the first read and after each one: the same buffer again unless the last chunk is still queued.
        buffer: () => {
          if (readBuffer === null || !readBufferFree) readBuffer = Buffer.allocUnsafe(UPSTREAM_READ_BUFFER);
          readBufferFree = true;
          return readBuffer;
        },
        callback: (length: number, buffer: Uint8Array) => {
          const view = Buffer.from(buffer.buffer, buffer.byteOffset, length);
          // Reading starts only once connected, so the downstream link exists.
          readBufferFree = this.down === null ? true : this.down.deliverView(view);
          return true;
        },
      },
    });
    this.upstream = upstream;
    let dialError: unknown = null;
    upstream.on('error', (err) => {
      dialError ??= err;
    });
    upstream.once('connect', () => this.connected(upstream));
    upstream.on('end', () => this.down?.sourceEnded());
    upstream.on('close', () => {
      this.upstreamClosed = true;
      if (this.up === null) {
        if (!this.disposed) this.refuse(dialError);
        return;
      }
      this.down?.sourceEnded();
      this.up.destinationGone();
      this.maybeDispose();
    });
  }

  /** Add a toxic to the live link of its direction. */
  addToxic(config: ToxicConfig): void {
    this.link(config.direction)?.addToxic(config);
  }

  /** Apply a toxic's new attributes/toxicity to the live link. */
  updateToxic(config: ToxicConfig): void {
    this.link(config.direction)?.updateToxic(config);
  }

  /** Remove a toxic from the live link (flushing what it held). */
  removeToxic(config: ToxicConfig): void {
    this.link(config.direction)?.removeToxic(config);
  }

  /** Destroy both sockets now (proxy disabled, deleted or restarted). */
  abort(): void {
    if (this.disposed) return;
    this.client.destroy();
    this.upstream?.destroy();
    this.dispose();
  }

  /** Abort both sockets with a TCP RST. */
  reset(): void {
    if (this.disposed) return;
    resetSocket(this.client);
    if (this.upstream !== null) resetSocket(this.upstream);
    this.dispose();
  }

  private link(direction: Direction): Link | null {
    return direction === 'upstream' ? this.up : this.down;
  }

  private connected(upstream: Socket): void {
    if (this.disposed) return;
    const events = {
      eof: (link: Link) => this.eof(link),
      reset: () => this.reset(),
    };
    this.up = new Link('upstream', this.client, upstream, this.owner.toxics('upstream'), events);
    this.down = new Link('downstream', upstream, this.client, this.owner.toxics('downstream'), events);
    this.owner.log(`proxy ${this.owner.name}: connection ${this.label} opened to ${this.upstreamAddress}`);
    this.up.start();
    this.down.start();
    // The client may have gone while we dialed.
    if (this.clientClosed) {
      this.up.sourceEnded();
      this.down.destinationGone();
      this.maybeDispose();
    }
  }

  /** Upstream unreachable: accept-then-EOF for the client. */
  private refuse(reason: unknown): void {
    const code = (reason as { code?: string } | null)?.code ?? (reason instanceof Error ? reason.message : 'closed');
    this.owner.log(`proxy ${this.owner.name}: upstream ${this.upstreamAddress} unreachable for ${this.label} (${code})`);
    this.upstreamClosed = true;
    this.closeGracefully(this.client, true);
  }

  /** EOF reached `link`'s destination: close that socket, and end the other direction. */
  private eof(link: Link): void {
    const destination = link === this.up ? this.upstream : this.client;
    if (destination !== null) this.closeGracefully(destination, false);
    (link === this.up ? this.down : this.up)?.sourceEnded();
  }

  /** FIN after pending writes, then close; `drain` keeps reading (and discarding) meanwhile. */
  private closeGracefully(socket: Socket, drain: boolean): void {
    if (socket.destroyed) return;
    if (drain) socket.resume();
    socket.end(() => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.timers.push(timer);
  }

  private maybeDispose(): void {
    if (this.clientClosed && this.upstreamClosed) this.dispose();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.up?.destroy();
    this.down?.destroy();
    if (!this.client.destroyed) this.client.destroy();
    if (this.upstream !== null && !this.upstream.destroyed) this.upstream.destroy();
    if (this.up !== null) this.owner.log(`proxy ${this.owner.name}: connection ${this.label} closed`);
    this.owner.closed(this);
  }
}

function resetSocket(socket: Socket): void {
  try {
    if (!socket.destroyed) socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
