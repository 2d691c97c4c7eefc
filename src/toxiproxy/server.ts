import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, joinHostPort } from './address.ts';
import { ToxiproxyApi } from './api.ts';
import type { ApiResponse } from './api.ts';
import { ProxyCollection } from './collection.ts';
import { ApiError, badRequestBody } from './errors.ts';

/** Options for the built-in server. host must be a loopback address. */
export interface ToxiproxyServerOptions {
  /** Address of the HTTP API; default 127.0.0.1. `localhost` means 127.0.0.1. Anything not loopback is refused. */
  host?: string;
  /** Port of the HTTP API; default 0 (an ephemeral port, see {@link ToxiproxyServer.port}). */
  port?: number;
  /** Receives one line per API call and per proxied connection opened/closed. Default: no logging. */
  log?: (line: string) => void;
  /**
   * Allows a host that is not loopback (`0.0.0.0`). Only for pgdrill's
   * Toxiproxy container image: the container's network is its own, and
   * pgdrill publishes its ports on the host's loopback only.
   */
  insideContainer?: boolean;
}

/** A running built-in Toxiproxy-compatible server. close() stops the API, every listener and every socket; it is idempotent. */
export interface ToxiproxyServer {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:8474` (what `new Toxiproxy(url)` takes). */
  readonly url: string;
  /** The bound host of the API. */
  readonly host: string;
  /** The bound port of the API (the real one when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/** Largest request body accepted, in bytes. */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Start the built-in Toxiproxy-compatible server (Toxiproxy 2.12 HTTP API and
 * data path) on a loopback address. Rejects when the host is not loopback or
 * the port cannot be bound.
 */
export async function startToxiproxyServer(options: ToxiproxyServerOptions = {}): Promise<ToxiproxyServer> {
  const requested = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(requested) && options.insideContainer !== true) {
    throw new Error(`the built-in Toxiproxy server only listens on a loopback address (127.0.0.0/8, ::1, localhost); refusing host "${requested}"`);
  }
  const host = requested.toLowerCase() === 'localhost' ? '127.0.0.1' : requested.replace(/^\[(.*)\]$/, '$1');
  const log = options.log ?? (() => {});
  const proxies = new ProxyCollection(log);
  const api = new ToxiproxyApi(proxies);
  const serialize = mutex();
  let closed = false;
  const guarded: Serializer = (task) =>
    serialize(() => {
      if (closed) throw new ApiError('server is closing', 503);
      return task();
    });

  const http = createServer((req, res) => {
    void handle(api, guarded, log, req, res);
  });
  http.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port: options.port ?? 0 }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (err) => log(`api: server error: ${err.message}`));
  const port = (http.address() as AddressInfo).port;
  const url = `http://${joinHostPort(host, port)}`;
  log(`api: listening on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    host,
    port,
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        // After any API call in progress (a bind, say), so nothing is left listening.
        await serialize(() => proxies.clear());
        await stopped;
        log('api: closed');
      })();
      return closing;
    },
  };
}

type Serializer = <T>(task: () => Promise<T> | T) => Promise<T>;

/** Run tasks one at a time, in arrival order (API calls never interleave). */
function mutex(): Serializer {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T> | T): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

async function handle(api: ToxiproxyApi, serialize: Serializer, log: (line: string) => void, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  res.setHeader('X-Toxiproxy-Request-Id', requestId());
  let response: ApiResponse;
  try {
    const route = match(method, path);
    if (route === 'not found') {
      response = { status: 404, text: '404 page not found\n', contentType: 'text/plain; charset=utf-8' };
    } else if (route === 'method not allowed') {
      response = { status: 405 };
    } else if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      response = { status: 403, text: 'User agent not allowed\n', contentType: 'text/plain; charset=utf-8' };
    } else {
      const body = await readBody(req);
      response = await serialize(() => route(api, body));
    }
  } catch (err) {
    response = errorResponse(err);
  }
  send(res, response);
  log(`api: ${method} ${path} ${response.status} ${(performance.now() - started).toFixed(1)}ms`);
}

function errorResponse(err: unknown): ApiResponse {
  const status = err instanceof ApiError ? err.status : 500;
  const message = err instanceof Error ? err.message : String(err);
  return {
    status,
    text: `${JSON.stringify({ error: message, status })}\n`,
    contentType: 'text/plain; charset=utf-8',
  };
}

function send(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  let body: string | undefined;
  if (response.json !== undefined) {
    body = JSON.stringify(response.json);
    res.setHeader('Content-Type', 'application/json');
  } else if (response.text !== undefined) {
    body = response.text;
    res.setHeader('Content-Type', response.contentType ?? 'text/plain; charset=utf-8');
    if (response.contentType?.startsWith('text/plain')) res.setHeader('X-Content-Type-Options', 'nosniff');
  }
  res.statusCode = response.status;
  if (body === undefined || response.status === 204) {
    res.end();
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw badRequestBody('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

type Handler = (api: ToxiproxyApi, body: string) => Promise<ApiResponse> | ApiResponse;

/** Route a request like Toxiproxy's router: a handler, or why there is none. */
function match(method: string, path: string): Handler | 'not found' | 'method not allowed' {
  const raw = path.split('/');
  if (raw[0] !== '' || raw.slice(1).some((s) => s === '')) return 'not found';
  let segments: string[];
  try {
    segments = raw.slice(1).map((s) => decodeURIComponent(s));
  } catch {
    return 'not found';
  }
  const [a, p, c, t] = segments;
  const methods = (table: Record<string, Handler>): Handler | 'method not allowed' => table[method] ?? 'method not allowed';
  switch (segments.length) {
    case 1:
      if (a === 'proxies') return methods({ GET: (api) => api.listProxies(), POST: (api, body) => api.createProxy(body) });
      if (a === 'populate') return methods({ POST: (api, body) => api.populate(body) });
      if (a === 'reset') return methods({ POST: (api) => api.reset() });
      if (a === 'version') return methods({ GET: (api) => api.version() });
      return 'not found';
    case 2:
      if (a !== 'proxies' || p === undefined) return 'not found';
      return methods({
        GET: (api) => api.showProxy(p),
        POST: (api, body) => api.updateProxy(p, body),
        PATCH: (api, body) => api.updateProxy(p, body),
        DELETE: (api) => api.deleteProxy(p),
      });
    case 3:
      if (a !== 'proxies' || p === undefined || c !== 'toxics') return 'not found';
      return methods({ GET: (api) => api.listToxics(p), POST: (api, body) => api.createToxic(p, body) });
    case 4:
      if (a !== 'proxies' || p === undefined || c !== 'toxics' || t === undefined) return 'not found';
      return methods({
        GET: (api) => api.showToxic(p, t),
        POST: (api, body) => api.updateToxic(p, t, body),
        PATCH: (api, body) => api.updateToxic(p, t, body),
        DELETE: (api) => api.deleteToxic(p, t),
      });
    default:
      return 'not found';
  }
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
let requestCounter = randomBytes(3).readUIntBE(0, 3);

/** A 20-character, xid-style request id (time, random, counter; base32hex). */
function requestId(): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
  randomBytes(5).copy(bytes, 4);
  requestCounter = (requestCounter + 1) & 0xffffff;
  bytes.writeUIntBE(requestCounter, 9, 3);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}
