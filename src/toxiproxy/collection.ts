import { Errors } from './errors.ts';
import { Proxy } from './proxy.ts';

/** What is needed to create a proxy. */
export interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/**
 * The set of proxies of one server, by unique name.
 *
 * Contract: `add` refuses a duplicate name (409) and does not keep a proxy
 * whose listener failed to bind; `addOrReplace` keeps an existing proxy with
 * the same resolved listen address and upstream (toxics included) and
 * otherwise stops it and puts a new one in its place; `remove` stops the
 * proxy (listener and every socket) and forgets it.
 */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();

  constructor(private readonly log: (line: string) => void) {}

  /** The proxy named `name`, or 404 `proxy not found`. */
  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw Errors.proxyNotFound();
    return proxy;
  }

  /** Every proxy, sorted by name (as Go's encoding/json orders map keys). */
  all(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async add(input: ProxyInput): Promise<Proxy> {
    if (this.proxies.has(input.name)) throw Errors.proxyAlreadyExists();
    const proxy = new Proxy(input.name, input.listen, input.upstream, this.log);
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  async addOrReplace(input: ProxyInput): Promise<Proxy> {
    const existing = this.proxies.get(input.name);
    if (existing !== undefined) {
      if (!existing.differs(input)) return existing;
      existing.stop();
    }
    const proxy = new Proxy(input.name, input.listen, input.upstream, this.log);
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  remove(name: string): void {
    const proxy = this.get(name);
    proxy.stop();
    this.proxies.delete(name);
  }

  /** Stop and forget every proxy. */
  clear(): void {
    for (const proxy of this.proxies.values()) proxy.stop();
    this.proxies.clear();
  }
}
