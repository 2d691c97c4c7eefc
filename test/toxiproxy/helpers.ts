import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startToxiproxyServer } from '../../src/toxiproxy/server.ts';
import type { ToxiproxyServer } from '../../src/toxiproxy/server.ts';

/** Things to close after a test, closed in reverse order. */
export class Cleanup {
  private readonly tasks: Array<() => unknown> = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  async run(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      try {
        await task();
      } catch {
        // best effort
      }
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP server on 127.0.0.1 that remembers its sockets and destroys them on close. */
export interface TestTcpServer {
  readonly port: number;
  readonly address: string;
  readonly sockets: Set<Socket>;
  /** Resolves with the next accepted socket. */
  nextConnection(): Promise<Socket>;
  close(): Promise<void>;
}

export async function startTcpServer(onConnection: (socket: Socket) => void = () => {}): Promise<TestTcpServer> {
  const sockets = new Set<Socket>();
  const waiters: Array<(socket: Socket) => void> = [];
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
    waiters.shift()?.(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An echo server: writes back everything it receives. */
export function startEchoServer(): Promise<TestTcpServer> {
  return startTcpServer((socket) => socket.pipe(socket));
}

/** A connected client socket that records what it receives and how it ended. */
export class Client {
  readonly socket: Socket;
  private received: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | null = null;
  /** How many 'data' events arrived (how many pieces the data came in). */
  chunks = 0;
  /** performance.now() of the last 'data' event, the 'end' event and the 'close' event. */
  lastDataAt = 0;
  endedAt = 0;
  closedAt = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks++;
      this.lastDataAt = performance.now();
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.endedAt = performance.now();
      this.notify();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = performance.now();
      this.notify();
    });
  }

  /** Record what an already-connected socket (say, the server side of a connection) receives. */
  static wrap(socket: Socket): Client {
    return new Client(socket);
  }

  static connect(port: number, cleanup?: Cleanup): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      cleanup?.add(() => socket.destroy());
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Client(socket));
      });
    });
  }

  get bytes(): Buffer {
    return this.received;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Take (and remove) the first `n` bytes received, waiting for them up to `timeoutMs`. */
  async read(n: number, timeoutMs = 2000): Promise<Buffer> {
    await this.until(() => this.received.length >= n, timeoutMs, `${n} bytes (have ${this.received.length})`);
    const out = this.received.subarray(0, n);
    this.received = this.received.subarray(n);
    return out;
  }

  /** Wait until the socket is closed (by EOF or error). */
  waitClosed(timeoutMs = 2000): Promise<void> {
    return this.until(() => this.closed, timeoutMs, 'close');
  }

  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Try to connect; resolve with the error code (e.g. ECONNREFUSED) or 'connected'. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The port of a `host:port` listen address. */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** The Toxiproxy under test when set (a real one), else undefined (the built-in server is used). */
export const externalUrl: string | undefined = process.env.TOXIPROXY_URL?.replace(/\/$/, '') || undefined;

/** The Toxiproxy a black-box test drives: its API URL and a client for it. */
export interface Target {
  readonly url: string;
  readonly toxiproxy: Toxiproxy;
  /** True when this is a real Toxiproxy at TOXIPROXY_URL rather than the built-in server. */
  readonly external: boolean;
}

/**
 * The system under test for black-box tests: the real Toxiproxy at
 * TOXIPROXY_URL when set (every proxy the test creates is deleted by
 * `cleanup`, proxies that were there before are left alone), else a fresh
 * built-in server (closed by `cleanup`).
 */
export async function startTarget(cleanup: Cleanup): Promise<Target> {
  if (externalUrl !== undefined) {
    const url = externalUrl;
    const before = new Set(Object.keys((await http(url, 'GET', '/proxies')).json() as object));
    cleanup.add(async () => {
      const now = Object.keys((await http(url, 'GET', '/proxies')).json() as object);
      for (const name of now) if (!before.has(name)) await http(url, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
    });
    return { url, toxiproxy: new Toxiproxy(url), external: true };
  }
  const server = await startToxiproxyServer();
  cleanup.add(() => server.close());
  return { url: server.url, toxiproxy: new Toxiproxy(server.url), external: false };
}

/** A built-in server plus a client for it, closed by `cleanup`. */
export async function startServerAndClient(cleanup: Cleanup, log?: (line: string) => void): Promise<{ server: ToxiproxyServer; toxiproxy: Toxiproxy }> {
  const server = await startToxiproxyServer(log === undefined ? {} : { log });
  cleanup.add(() => server.close());
  return { server, toxiproxy: new Toxiproxy(server.url) };
}

let nameCounter = 0;
/** A proxy name unique within this process run. */
export function uniqueName(prefix: string): string {
  nameCounter++;
  return `${prefix}_${process.pid}_${nameCounter}`;
}

/** A raw HTTP call: status, headers and body text. */
export async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers; json: () => unknown }> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as unknown };
}

/** The target under test (see {@link startTarget}) with one proxy named `name` in front of a fresh echo server. */
export async function startEchoProxy(cleanup: Cleanup, name = 'echo') {
  const { url, toxiproxy } = await startTarget(cleanup);
  const echo = await startEchoServer();
  cleanup.add(() => echo.close());
  const proxy = await toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: echo.address });
  return { url, toxiproxy, echo, proxy, port: portOf(proxy.listen) };
}

/** Milliseconds for `client` to get back `message` through an echo proxy. */
export async function roundTrip(client: Client, message = 'x'): Promise<number> {
  const start = performance.now();
  client.write(message);
  await client.read(Buffer.byteLength(message), 5000);
  return performance.now() - start;
}
