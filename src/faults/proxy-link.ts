import { Toxiproxy, ToxiproxyError, type ICreateToxicBody } from 'toxiproxy-node-client';
import type { Endpoint } from '../core/target.ts';

/**
 * One proxied network path (service → PostgreSQL) on a Toxiproxy server,
 * real or built-in, and the few operations faults and runbooks need on it.
 * Everything goes through `toxiproxy-node-client`, so the same code drives
 * either server.
 */
export class ProxyLink {
  constructor(
    readonly client: Toxiproxy,
    readonly name: string,
    /** Where clients connect (always loopback). */
    readonly listen: Endpoint,
    /** Where the proxy dials (PostgreSQL). */
    public upstream: string,
    /** The proxy's own listen address on its server, when clients reach it elsewhere (a container's port published on loopback); default `listen`. */
    readonly bind?: string,
  ) {}

  /** The listen address as the proxy's server knows it. */
  private get serverListen(): string {
    return this.bind ?? `${this.listen.host}:${this.listen.port}`;
  }

  /**
   * Points the proxy at another server (a promoted replica, a restored
   * cluster). Clients keep their address; open connections are dropped, as
   * Toxiproxy does when the upstream changes.
   */
  async setUpstream(upstream: Endpoint): Promise<void> {
    const proxy = await this.client.get(this.name);
    const text = `${upstream.host}:${upstream.port}`;
    await proxy.update({ enabled: proxy.enabled, listen: this.serverListen, upstream: text });
    this.upstream = text;
  }

  /**
   * Creates the proxy on the server, listening on `listenPort` on loopback
   * (default: a free port); or, with `published`, on `published.bind` of a
   * server in a container whose port clients reach at `published.listen`.
   */
  static async create(client: Toxiproxy, name: string, upstream: Endpoint, listenPort = 0, published?: { bind: string; listen: Endpoint }): Promise<ProxyLink> {
    const upstreamText = `${upstream.host}:${upstream.port}`;
    try {
      await (await client.get(name)).remove();
    } catch (error) {
      if (!(error instanceof ToxiproxyError)) throw error;
    }
    if (published) {
      await client.createProxy({ name, listen: published.bind, upstream: upstreamText });
      return new ProxyLink(client, name, published.listen, upstreamText, published.bind);
    }
    const proxy = await client.createProxy({ name, listen: `127.0.0.1:${listenPort}`, upstream: upstreamText });
    const [host, port] = splitHostPort(proxy.listen);
    return new ProxyLink(client, name, { host, port }, upstreamText);
  }

  /** Enables or disables the proxy (disabled: new connections refused, open ones closed). */
  async setEnabled(enabled: boolean): Promise<void> {
    const proxy = await this.client.get(this.name);
    await proxy.update({ enabled, listen: this.serverListen, upstream: this.upstream });
  }

  /** True when the proxy is enabled. */
  async isEnabled(): Promise<boolean> {
    return (await this.client.get(this.name)).enabled;
  }

  /** Adds a toxic to this proxy. */
  async addToxic<T>(body: ICreateToxicBody<T>): Promise<void> {
    const proxy = await this.client.get(this.name);
    await proxy.addToxic(body);
  }

  /** Removes a toxic by name; absent toxics are fine (idempotent). */
  async removeToxic(name: string): Promise<void> {
    const proxy = await this.client.get(this.name);
    try {
      await (await proxy.getToxic(name)).remove();
    } catch (error) {
      if (!(error instanceof ToxiproxyError)) throw error;
    }
  }

  /** Names of the toxics on this proxy. */
  async toxicNames(): Promise<string[]> {
    // The client's Proxy object does not keep toxics: list them through its HTTP client.
    const proxy = await this.client.get(this.name);
    const { data } = await this.client.getApi().get<Array<{ name: string }>>(`${proxy.getPath()}/toxics`);
    return data.map((t) => t.name);
  }

  /** Back to a healthy path: enabled, no toxics. Touches only this proxy. */
  async heal(): Promise<void> {
    for (const name of await this.toxicNames()) await this.removeToxic(name);
    if (!(await this.isEnabled())) await this.setEnabled(true);
  }

  /** Deletes the proxy from the server (idempotent). */
  async remove(): Promise<void> {
    try {
      await (await this.client.get(this.name)).remove();
    } catch (error) {
      if (!(error instanceof ToxiproxyError)) throw error;
    }
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return [host === 'localhost' || host === '' || host === '0.0.0.0' ? '127.0.0.1' : host, Number(address.slice(i + 1))];
}
