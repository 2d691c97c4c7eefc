import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { bindHost, joinHostPort, resolveListen, splitHostPort } from './address.ts';
import { Connection } from './connection.ts';
import type { ConnectionOwner } from './connection.ts';
import type { Direction, ToxicConfig } from './toxic.ts';

/** A proxy as the HTTP API reports it. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

/** A toxic as the HTTP API reports it. */
export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: string;
  stream: string;
  toxicity: number;
}

/** The fields of a proxy that an update may change. */
export interface ProxySettings {
  listen: string;
  upstream: string;
  enabled: boolean;
}

const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

/**
 * One named proxy: its listener, its open connections and its toxics.
 *
 * Contract:
 * - `listen` is the address as given until bound, then the bound address
 *   (`localhost` reported as 127.0.0.1, port 0 replaced by the real port).
 * - `start` binds (rejecting with a Go-worded message on failure, leaving the
 *   proxy disabled); `stop` closes the listener at once and destroys every
 *   open connection; both are idempotent.
 * - Toxic changes are applied to every open connection synchronously; nothing
 *   here ever waits on the data path.
 */
export class Proxy implements ConnectionOwner {
  enabled = false;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly toxicLists: Record<Direction, ToxicConfig[]> = { upstream: [], downstream: [] };

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    private readonly logLine: (line: string) => void,
  ) {}

  /** Bind the listener. Resolves once accepting; rejects (proxy stays disabled) when the address cannot be bound. */
  async start(): Promise<void> {
    if (this.enabled) return;
    let host: string;
    let port: number;
    try {
      // Like Go's net.Listen, an empty address means "any port" (bound on loopback here).
      ({ host, port } = this.listen === '' ? { host: '', port: 0 } : splitHostPort(this.listen));
    } catch (err) {
      throw new Error(`listen tcp: ${(err as Error).message}`);
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, this.accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const reason = (err.code !== undefined && BIND_ERRORS[err.code]) || err.message;
        reject(new Error(`listen tcp ${joinHostPort(bindHost(host), port)}: bind: ${reason}`));
      });
      server.listen({ host: bindHost(host), port }, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', (err) => this.log(`proxy ${this.name}: listener error: ${err.message}`));
    const bound = server.address() as AddressInfo;
    this.listen = joinHostPort(bound.address, bound.port);
    this.server = server;
    this.enabled = true;
    this.log(`proxy ${this.name}: listening on ${this.listen}, upstream ${this.upstream}`);
  }

  /** Close the listener (new connects are refused) and destroy every open connection. */
  stop(): void {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server;
    this.server = null;
    server?.close();
    for (const connection of [...this.connections]) connection.abort();
    this.connections.clear();
    this.log(`proxy ${this.name}: stopped`);
  }

  /**
   * Apply a partial update, as Toxiproxy does: a different (resolved) listen
   * address or upstream stops the proxy first; then `enabled` starts or
   * stops it. Throws (500) when the listen address is malformed or cannot be bound.
   */
  async update(input: ProxySettings): Promise<void> {
    if (this.differs(input)) {
      this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else this.stop();
    }
  }

  /** True when `input` names another listen address (after resolution) or upstream. Throws on a malformed address. */
  differs(input: { listen: string; upstream: string }): boolean {
    return resolveListen(input.listen) !== this.listen || input.upstream !== this.upstream;
  }

  findToxic(name: string): ToxicConfig | undefined {
    return this.toxicLists.upstream.find((t) => t.name === name) ?? this.toxicLists.downstream.find((t) => t.name === name);
  }

  /** Every toxic: upstream ones first, then downstream, each in insertion order. */
  allToxics(): ToxicConfig[] {
    return [...this.toxicLists.upstream, ...this.toxicLists.downstream];
  }

  /** Append a toxic and apply it to every open connection. */
  addToxic(config: ToxicConfig): void {
    this.toxicLists[config.direction].push(config);
    for (const connection of [...this.connections]) connection.addToxic(config);
  }

  /** Re-apply an updated toxic (attributes/toxicity already changed in `config`). */
  updateToxic(config: ToxicConfig): void {
    for (const connection of [...this.connections]) connection.updateToxic(config);
  }

  /** Remove a toxic from the proxy and from every open connection (flushing what it held). */
  removeToxic(config: ToxicConfig): void {
    const list = this.toxicLists[config.direction];
    const index = list.indexOf(config);
    if (index >= 0) list.splice(index, 1);
    for (const connection of [...this.connections]) connection.removeToxic(config);
  }

  /** Remove every toxic (upstream first, then downstream). */
  removeAllToxics(): void {
    for (const config of this.allToxics()) this.removeToxic(config);
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.allToxics().map(toxicJson),
    };
  }

  // ConnectionOwner
  toxics(direction: Direction): readonly ToxicConfig[] {
    return this.toxicLists[direction];
  }

  closed(connection: Connection): void {
    this.connections.delete(connection);
  }

  log(line: string): void {
    this.logLine(line);
  }

  private readonly accept = (client: Socket): void => {
    if (!this.enabled) {
      client.destroy();
      return;
    }
    const connection = new Connection(this, client, this.upstream);
    this.connections.add(connection);
    connection.open();
  };
}

/** The API form of a toxic: every attribute of its kind, in declared order. */
export function toxicJson(config: ToxicConfig): ToxicJson {
  const attributes: Record<string, number> = {};
  for (const key of config.kind.attributes) attributes[key] = config.attributes[key] ?? 0;
  return {
    attributes,
    name: config.name,
    type: config.type,
    stream: config.stream,
    toxicity: config.toxicity,
  };
}
