/**
 * The HTTP API contract (Toxiproxy 2.12). Runs against the real Toxiproxy when
 * TOXIPROXY_URL is set, else against the built-in server. Every proxy it
 * creates has a unique name and is deleted afterwards.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { startToxiproxyServer } from '../../src/toxiproxy/server.ts';
import type { ToxiproxyServer } from '../../src/toxiproxy/server.ts';
import { Cleanup, Client, http, portOf, startEchoServer, tryConnect, uniqueName } from './helpers.ts';

const external = process.env.TOXIPROXY_URL;

describe(`toxiproxy HTTP API contract (${external ?? 'built-in server'})`, () => {
  let server: ToxiproxyServer | null = null;
  let url: string;
  let toxiproxy: Toxiproxy;
  const created = new Set<string>();
  const blockers: Server[] = [];

  beforeAll(async () => {
    if (external !== undefined) url = external.replace(/\/$/, '');
    else {
      server = await startToxiproxyServer();
      url = server.url;
    }
    toxiproxy = new Toxiproxy(url);
  });
  afterEach(async () => {
    for (const name of created) await http(url, 'DELETE', `/proxies/${name}`);
    created.clear();
    for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => http(url, method, path, body, headers);

  /** Create a proxy through the raw API (listen on an ephemeral loopback port); remember it for cleanup. */
  async function create(prefix: string, extra: Record<string, unknown> = {}) {
    const name = uniqueName(prefix);
    created.add(name);
    const res = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1', ...extra });
    expect(res.status).toBe(201);
    return { name, proxy: res.json() as { listen: string; upstream: string; enabled: boolean; toxics: unknown[] } };
  }

  /** A port that is already bound by someone else. */
  async function busyPort(): Promise<number> {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    return (blocker.address() as AddressInfo).port;
  }

  /** A port that was free a moment ago. */
  async function freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  const errorBody = (error: string, status: number): string => `${JSON.stringify({ error, status })}\n`;

  describe('general', () => {
    it('GET /version answers {"version": "..."}', async () => {
      const res = await call('GET', '/version');
      expect(res.status).toBe(200);
      if (external === undefined) expect(res.text).toBe('{"version": "2.12.0"}\n');
      else expect(res.text).toMatch(/^\{"version": ".+"\}\n$/);
      expect(await toxiproxy.getVersion()).toBe(res.text);
    });

    it('every response carries X-Toxiproxy-Request-Id', async () => {
      for (const res of [await call('GET', '/version'), await call('GET', '/proxies'), await call('GET', '/proxies/nope_nope')]) {
        expect(res.headers.get('x-toxiproxy-request-id')).toMatch(/^\S+$/);
      }
      const a = await call('GET', '/version');
      const b = await call('GET', '/version');
      expect(a.headers.get('x-toxiproxy-request-id')).not.toBe(b.headers.get('x-toxiproxy-request-id'));
    });

    it('refuses browser user agents with 403', async () => {
      const res = await call('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
      expect(res.status).toBe(403);
      expect(res.text).toBe('User agent not allowed\n');
      expect(res.headers.get('x-toxiproxy-request-id')).toBeTruthy();
    });

    it('unknown routes are 404, wrong methods 405', async () => {
      const missing = await call('GET', '/nothing');
      expect(missing.status).toBe(404);
      expect(missing.text).toBe('404 page not found\n');
      expect((await call('PUT', '/proxies')).status).toBe(405);
      expect((await call('GET', '/reset')).status).toBe(405);
    });
  });

  describe('proxies', () => {
    it.skipIf(external !== undefined)('GET /proxies is {} when there are none', async () => {
      const res = await call('GET', '/proxies');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({});
    });

    it('POST /proxies creates (201): localhost reported as 127.0.0.1, port 0 replaced, toxics []', async () => {
      const name = uniqueName('create');
      created.add(name);
      const res = await call('POST', '/proxies', { name, listen: 'localhost:0', upstream: 'localhost:5432' });
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('application/json');
      const proxy = res.json() as Record<string, unknown>;
      expect(proxy).toEqual({ name, listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/), upstream: 'localhost:5432', enabled: true, toxics: [] });
      expect(portOf(proxy.listen as string)).toBeGreaterThan(0);
      const all = (await call('GET', '/proxies')).json() as Record<string, unknown>;
      expect(all[name]).toEqual(proxy);
    });

    it('POST /proxies checks name, upstream, duplicate, then bind', async () => {
      const noName = await call('POST', '/proxies', { listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
      expect(noName.status).toBe(400);
      expect(noName.text).toBe(errorBody('missing required field: name', 400));
      expect(noName.headers.get('content-type')).toMatch(/^text\/plain/);

      const noUpstream = await call('POST', '/proxies', { name: 'x', listen: '127.0.0.1:0' });
      expect(noUpstream.status).toBe(400);
      expect(noUpstream.text).toBe(errorBody('missing required field: upstream', 400));

      const { name } = await create('dup');
      const duplicate = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.text).toBe(errorBody('proxy already exists', 409));
      await expect(toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' })).rejects.toBeInstanceOf(ToxiproxyError);

      const port = await busyPort();
      const bindName = uniqueName('bind');
      created.add(bindName);
      const bind = await call('POST', '/proxies', { name: bindName, listen: `127.0.0.1:${port}`, upstream: '127.0.0.1:1' });
      expect(bind.status).toBe(500);
      expect(bind.text).toBe(errorBody(`listen tcp 127.0.0.1:${port}: bind: address already in use`, 500));
      expect((await call('GET', `/proxies/${bindName}`)).status).toBe(404);
    });

    it('POST /proxies with a bad body is 400', async () => {
      const res = await call('POST', '/proxies', '{"name":');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body/) });
      const wrongType = await call('POST', '/proxies', { name: 5, upstream: 'x:1' });
      expect(wrongType.status).toBe(400);
    });

    it('a proxy created disabled does not listen', async () => {
      const { proxy } = await create('off', { enabled: false });
      expect(proxy.enabled).toBe(false);
    });

    it('GET /proxies/{p}: 200, or 404 proxy not found', async () => {
      const { name, proxy } = await create('show');
      const res = await call('GET', `/proxies/${name}`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name, ...proxy });
      const missing = await call('GET', '/proxies/does_not_exist');
      expect(missing.status).toBe(404);
      expect(missing.text).toBe(errorBody('proxy not found', 404));
    });

    it('POST and PATCH /proxies/{p} update partially; name is ignored; enable rebinds the same address', async () => {
      const { name, proxy } = await create('upd');
      const off = await call('POST', `/proxies/${name}`, { enabled: false, name: 'ignored' });
      expect(off.status).toBe(200);
      expect(off.json()).toMatchObject({ name, enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      const on = await call('PATCH', `/proxies/${name}`, { enabled: true });
      expect(on.status).toBe(200);
      expect(on.json()).toMatchObject({ name, enabled: true, listen: proxy.listen });
      const upstream = await call('PATCH', `/proxies/${name}`, { upstream: '127.0.0.1:2' });
      expect(upstream.json()).toMatchObject({ upstream: '127.0.0.1:2', enabled: true });
      expect((await call('PATCH', '/proxies/nope_nope', { enabled: true })).status).toBe(404);
    });

    it('DELETE /proxies/{p}: 204 then 404', async () => {
      const { name } = await create('del');
      const res = await call('DELETE', `/proxies/${name}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const again = await call('DELETE', `/proxies/${name}`);
      expect(again.status).toBe(404);
      expect(again.text).toBe(errorBody('proxy not found', 404));
    });
  });

  describe('toxics', () => {
    it('POST /proxies/{p}/toxics: 200, defaults (downstream, <type>_<stream>, toxicity 1, integer attributes)', async () => {
      const { name } = await create('tox');
      const res = await call('POST', `/proxies/${name}/toxics`, { type: 'latency', attributes: { latency: 10 } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10, jitter: 0 } });
      const up = await call('POST', `/proxies/${name}/toxics`, { type: 'timeout', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 5, unknown: 'ignored' } });
      expect(up.json()).toEqual({ name: 'timeout_upstream', type: 'timeout', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 5 } });
      const caps = await call('POST', `/proxies/${name}/toxics`, { type: 'slow_close', stream: 'UpStream' });
      expect(caps.status).toBe(200);
      // The stream matches case-insensitively but is kept (and named) as sent.
      expect(caps.json()).toMatchObject({ name: 'slow_close_UpStream', stream: 'UpStream', attributes: { delay: 0 } });
      const listed = (await call('GET', `/proxies/${name}/toxics`)).json() as Array<{ name: string }>;
      expect(listed.map((t) => t.name)).toEqual(['timeout_upstream', 'slow_close_UpStream', 'latency_downstream']);
    });

    it('checks stream, then type, then name uniqueness, then attributes', async () => {
      const { name } = await create('order');
      const post = (body: unknown) => call('POST', `/proxies/${name}/toxics`, body);
      expect((await post({ name: 'taken', type: 'latency', stream: 'upstream' })).status).toBe(200);

      const badStream = await post({ type: 'nope', stream: 'sideways', name: 'taken' });
      expect(badStream.status).toBe(400);
      expect(badStream.text).toBe(errorBody('stream was invalid, can be either upstream or downstream', 400));
      expect((await post({ type: 'latency', stream: '' })).status).toBe(400);

      const badType = await post({ type: 'nope', name: 'taken' });
      expect(badType.status).toBe(400);
      expect(badType.text).toBe(errorBody('invalid toxic type', 400));

      const taken = await post({ name: 'taken', type: 'latency', stream: 'downstream', attributes: { latency: 'x' } });
      expect(taken.status).toBe(409);
      expect(taken.text).toBe(errorBody('toxic already exists', 409));

      const fractional = await post({ type: 'latency', attributes: { latency: 1.5 } });
      expect(fractional.status).toBe(400);
      expect(JSON.parse(fractional.text).error).toMatch(/^bad request body/);
      expect((await post({ type: 'latency', toxicity: 'high' })).status).toBe(400);
      expect((await post('not json')).status).toBe(400);

      const noProxy = await call('POST', '/proxies/nope_nope/toxics', { type: 'latency' });
      expect(noProxy.status).toBe(404);
      expect(noProxy.text).toBe(errorBody('proxy not found', 404));
    });

    it('lists upstream toxics first, then downstream, each in insertion order', async () => {
      const { name } = await create('list');
      for (const [toxic, stream] of [['d1', 'downstream'], ['u1', 'upstream'], ['d2', 'downstream'], ['u2', 'upstream']] as const) {
        await call('POST', `/proxies/${name}/toxics`, { name: toxic, type: 'latency', stream, attributes: { latency: 1 } });
      }
      const listed = (await call('GET', `/proxies/${name}/toxics`)).json() as Array<{ name: string }>;
      expect(listed.map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
      const proxy = (await call('GET', `/proxies/${name}`)).json() as { toxics: Array<{ name: string }> };
      expect(proxy.toxics.map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
    });

    it('GET, update (merge attributes, keep toxicity) and DELETE one toxic', async () => {
      const { name } = await create('one');
      await call('POST', `/proxies/${name}/toxics`, { name: 'lat', type: 'latency', toxicity: 0.5, attributes: { latency: 100, jitter: 10 } });
      const shown = await call('GET', `/proxies/${name}/toxics/lat`);
      expect(shown.status).toBe(200);
      expect(shown.json()).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 100, jitter: 10 } });

      const merged = await call('POST', `/proxies/${name}/toxics/lat`, { attributes: { jitter: 5 }, stream: 'upstream', type: 'timeout' });
      expect(merged.status).toBe(200);
      expect(merged.json()).toEqual({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 100, jitter: 5 } });
      const patched = await call('PATCH', `/proxies/${name}/toxics/lat`, { toxicity: 0.25 });
      expect(patched.json()).toMatchObject({ toxicity: 0.25, attributes: { latency: 100, jitter: 5 } });

      const missing = await call('GET', `/proxies/${name}/toxics/none`);
      expect(missing.status).toBe(404);
      expect(missing.text).toBe(errorBody('toxic not found', 404));
      expect((await call('POST', `/proxies/${name}/toxics/none`, {})).status).toBe(404);

      expect((await call('DELETE', `/proxies/${name}/toxics/lat`)).status).toBe(204);
      const again = await call('DELETE', `/proxies/${name}/toxics/lat`);
      expect(again.status).toBe(404);
      expect(again.text).toBe(errorBody('toxic not found', 404));
    });

    it('works through toxiproxy-node-client', async () => {
      const name = uniqueName('client');
      created.add(name);
      const proxy = await toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
      expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
      const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 5, jitter: 1 } });
      expect(toxic.attributes).toEqual({ latency: 5, jitter: 1 });
      const updated = await toxic.update({ attributes: { latency: 7 } } as never);
      expect(updated.attributes).toEqual({ latency: 7, jitter: 1 });
      expect((await proxy.getToxic('lat')).toxicity).toBe(1);
      await updated.remove();
      await expect(proxy.getToxic('lat')).rejects.toBeInstanceOf(ToxiproxyError);
      const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      expect(disabled.enabled).toBe(false);
      expect((await toxiproxy.getAll())[name]?.enabled).toBe(false);
      expect((await toxiproxy.get(name)).upstream).toBe('127.0.0.1:1');
      await proxy.remove();
      created.delete(name);
      await expect(toxiproxy.get(name)).rejects.toBeInstanceOf(ToxiproxyError);
    });
  });

  describe('reset and populate', () => {
    it('POST /reset enables every proxy, removes every toxic, keeps the proxies (204)', async () => {
      const { name, proxy } = await create('reset');
      await call('POST', `/proxies/${name}/toxics`, { type: 'latency', attributes: { latency: 1 } });
      await call('POST', `/proxies/${name}/toxics`, { type: 'latency', stream: 'upstream', attributes: { latency: 1 } });
      await call('PATCH', `/proxies/${name}`, { enabled: false });
      const res = await call('POST', '/reset');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await call('GET', `/proxies/${name}`)).json()).toEqual({ name, listen: proxy.listen, upstream: proxy.upstream, enabled: true, toxics: [] });
      await toxiproxy.reset();
    });

    it('POST /populate creates (201), keeps identical proxies with their toxics, replaces differing ones', async () => {
      const a = uniqueName('popa');
      const b = uniqueName('popb');
      created.add(a);
      created.add(b);
      const first = await call('POST', '/populate', [
        { name: a, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
        { name: b, listen: '127.0.0.1:0', upstream: '127.0.0.1:2', enabled: false },
      ]);
      expect(first.status).toBe(201);
      const proxies = (first.json() as { proxies: Array<{ name: string; listen: string; enabled: boolean }> }).proxies;
      expect(proxies.map((p) => [p.name, p.enabled])).toEqual([
        [a, true],
        [b, false],
      ]);
      const listenA = proxies[0]!.listen;
      await call('POST', `/proxies/${a}/toxics`, { name: 'kept', type: 'latency' });
      await call('POST', `/proxies/${b}/toxics`, { name: 'lost', type: 'latency' });

      const second = await call('POST', '/populate', [
        { name: a, listen: `localhost:${portOf(listenA)}`, upstream: '127.0.0.1:1' },
        { name: b, listen: '127.0.0.1:0', upstream: '127.0.0.1:3' },
      ]);
      expect(second.status).toBe(201);
      const again = (second.json() as { proxies: Array<{ name: string; listen: string; upstream: string; toxics: Array<{ name: string }> }> }).proxies;
      expect(again[0]).toMatchObject({ name: a, listen: listenA });
      expect(again[0]!.toxics.map((t) => t.name)).toEqual(['kept']);
      expect(again[1]).toMatchObject({ name: b, upstream: '127.0.0.1:3', toxics: [] });

      const viaClient = await toxiproxy.populate([{ name: a, listen: listenA, upstream: '127.0.0.1:1' }]);
      expect(viaClient[a]?.listen).toBe(listenA);
    });

    it('POST /populate validates every entry first (400 ... at proxy N, nothing created)', async () => {
      const a = uniqueName('valid');
      created.add(a);
      const res = await call('POST', '/populate', [{ name: a, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }, { listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }]);
      expect(res.status).toBe(400);
      expect((res.json() as { error: string }).error).toBe('missing required field: name at proxy 2');
      const noUpstream = await call('POST', '/populate', [{ name: a, listen: '127.0.0.1:0' }]);
      expect((noUpstream.json() as { error: string }).error).toBe('missing required field: upstream at proxy 1');
      expect((await call('GET', `/proxies/${a}`)).status).toBe(404);
      expect((await call('POST', '/populate', { name: a })).status).toBe(400);
    });

    it('POST /populate keeps the proxies created before a bind failure', async () => {
      const port = await busyPort();
      const [a, b, c] = [uniqueName('ok'), uniqueName('busy'), uniqueName('after')];
      for (const name of [a, b, c]) created.add(name);
      const res = await call('POST', '/populate', [
        { name: a, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
        { name: b, listen: `127.0.0.1:${port}`, upstream: '127.0.0.1:1' },
        { name: c, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
      ]);
      expect(res.status).toBe(500);
      const body = res.json() as { error: string; status: number; proxies: Array<{ name: string }> | null };
      expect(body.error).toBe(`listen tcp 127.0.0.1:${port}: bind: address already in use`);
      expect(body.status).toBe(500);
      expect((body.proxies ?? []).map((p) => p.name)).toEqual([a]);
      expect((await call('GET', `/proxies/${a}`)).status).toBe(200);
      expect((await call('GET', `/proxies/${b}`)).status).toBe(404);
      expect((await call('GET', `/proxies/${c}`)).status).toBe(404);
    });
  });

  describe('details of the contract', () => {
    const TOXIC_ATTRIBUTES: Record<string, Record<string, number>> = {
      latency: { latency: 0, jitter: 0 },
      bandwidth: { rate: 0 },
      slow_close: { delay: 0 },
      timeout: { timeout: 0 },
      reset_peer: { timeout: 0 },
      slicer: { average_size: 0, size_variation: 0, delay: 0 },
      limit_data: { bytes: 0 },
      noop: {},
    };

    it('the browser guard covers every route and method, matches only a leading "Mozilla/", and changes nothing', async () => {
      const { name } = await create('guard');
      const browser = { 'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15' };
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', '/version'],
        ['GET', '/proxies'],
        ['POST', '/proxies', { name: uniqueName('browser'), listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }],
        ['POST', '/populate', []],
        ['POST', '/reset'],
        ['GET', `/proxies/${name}`],
        ['PATCH', `/proxies/${name}`, { enabled: false }],
        ['DELETE', `/proxies/${name}`],
        ['POST', `/proxies/${name}/toxics`, { type: 'latency' }],
        ['GET', `/proxies/${name}/toxics`],
        ['DELETE', `/proxies/${name}/toxics/latency_downstream`],
      ];
      for (const [method, path, body] of attempts) {
        const res = await call(method, path, body, browser);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.text).toBe('User agent not allowed\n');
        expect(res.headers.get('x-toxiproxy-request-id')).toMatch(/^\S+$/);
      }
      // Nothing happened: the proxy is still there, enabled, without toxics.
      expect((await call('GET', `/proxies/${name}`)).json()).toMatchObject({ name, enabled: true, toxics: [] });
      // Only a leading "Mozilla/" is refused.
      expect((await call('GET', '/version', undefined, { 'User-Agent': 'curl/8.5.0 (like Mozilla/5.0)' })).status).toBe(200);
      expect((await call('GET', '/version', undefined, { 'User-Agent': 'mozilla/5.0' })).status).toBe(200);
    });

    it('X-Toxiproxy-Request-Id is on 201, 204 and error answers too', async () => {
      const name = uniqueName('reqid');
      created.add(name);
      const answers = [
        await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }),
        await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }),
        await call('POST', `/proxies/${name}/toxics`, { type: 'nope' }),
        await call('POST', '/populate', '{'),
        await call('DELETE', `/proxies/${name}`),
      ];
      expect(answers.map((r) => r.status)).toEqual([201, 409, 400, 400, 204]);
      const ids = answers.map((r) => r.headers.get('x-toxiproxy-request-id'));
      for (const id of ids) expect(id).toMatch(/^\S+$/);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('POST /proxies: an empty body is 400 "bad request body: EOF"; name is checked before upstream, upstream before the duplicate, the duplicate before the bind', async () => {
      const empty = await call('POST', '/proxies', '');
      expect(empty.status).toBe(400);
      expect(empty.text).toBe(errorBody('bad request body: EOF', 400));
      expect((await call('POST', '/proxies', {})).text).toBe(errorBody('missing required field: name', 400));
      expect((await call('POST', '/proxies', { upstream: '127.0.0.1:1' })).text).toBe(errorBody('missing required field: name', 400));
      const { name, proxy } = await create('order');
      expect((await call('POST', '/proxies', { name, listen: '127.0.0.1:0' })).text).toBe(errorBody('missing required field: upstream', 400));
      const busy = await busyPort();
      const duplicate = await call('POST', '/proxies', { name, listen: `127.0.0.1:${busy}`, upstream: '127.0.0.1:1' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.text).toBe(errorBody('proxy already exists', 409));
      // The existing proxy is untouched.
      expect((await call('GET', `/proxies/${name}`)).json()).toEqual({ name, ...proxy });
    });

    it('a proxy created disabled keeps its listen address as given, refuses connections, and binds it when enabled', async () => {
      const port = await freePort();
      const { name, proxy } = await create('disabled', { listen: `127.0.0.1:${port}`, enabled: false });
      expect(proxy).toMatchObject({ enabled: false, listen: `127.0.0.1:${port}`, toxics: [] });
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      const on = await call('PATCH', `/proxies/${name}`, { enabled: true });
      expect(on.status).toBe(200);
      expect(on.json()).toMatchObject({ enabled: true, listen: `127.0.0.1:${port}` });
      expect(await tryConnect(port)).toBe('connected');
    });

    it('POST|PATCH /proxies/{p}: a bad body is 400 and changes nothing; an address that cannot be bound is 500 and leaves the proxy disabled', async () => {
      const { name, proxy } = await create('badupd');
      const empty = await call('POST', `/proxies/${name}`, '');
      expect(empty.status).toBe(400);
      expect(empty.text).toBe(errorBody('bad request body: EOF', 400));
      const wrongType = await call('PATCH', `/proxies/${name}`, { enabled: 'no' });
      expect(wrongType.status).toBe(400);
      expect(JSON.parse(wrongType.text)).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body: /) });
      expect((await call('GET', `/proxies/${name}`)).json()).toEqual({ name, ...proxy });

      const busy = await busyPort();
      const moved = await call('PATCH', `/proxies/${name}`, { listen: `127.0.0.1:${busy}` });
      expect(moved.status).toBe(500);
      expect(moved.text).toBe(errorBody(`listen tcp 127.0.0.1:${busy}: bind: address already in use`, 500));
      expect((await call('GET', `/proxies/${name}`)).json()).toMatchObject({ enabled: false, listen: `127.0.0.1:${busy}` });
      expect(await tryConnect(portOf(proxy.listen))).toBe('ECONNREFUSED');
    });

    it('POST|PATCH /proxies/{p}: fields left out keep their value (a disabled proxy stays disabled when its upstream changes)', async () => {
      const { name, proxy } = await create('keep');
      await call('PATCH', `/proxies/${name}`, { enabled: false });
      const res = await call('POST', `/proxies/${name}`, { upstream: '127.0.0.1:9' });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name, listen: proxy.listen, upstream: '127.0.0.1:9', enabled: false, toxics: [] });
      const same = await call('PATCH', `/proxies/${name}`, {});
      expect(same.json()).toEqual({ name, listen: proxy.listen, upstream: '127.0.0.1:9', enabled: false, toxics: [] });
    });

    it('every toxic type: default name <type>_<stream>, stream downstream when absent, toxicity 1, every attribute 0', async () => {
      const { name } = await create('types');
      const types = Object.keys(TOXIC_ATTRIBUTES);
      for (const type of types) {
        const down = await call('POST', `/proxies/${name}/toxics`, { type });
        expect(down.status, type).toBe(200);
        expect(down.headers.get('content-type')).toBe('application/json');
        expect(down.json()).toEqual({ name: `${type}_downstream`, type, stream: 'downstream', toxicity: 1, attributes: TOXIC_ATTRIBUTES[type] });
        const up = await call('POST', `/proxies/${name}/toxics`, { type, stream: 'upstream', attributes: null });
        expect(up.status, type).toBe(200);
        expect(up.json()).toEqual({ name: `${type}_upstream`, type, stream: 'upstream', toxicity: 1, attributes: TOXIC_ATTRIBUTES[type] });
      }
      const listed = (await call('GET', `/proxies/${name}/toxics`)).json() as Array<{ name: string }>;
      expect(listed.map((t) => t.name)).toEqual([...types.map((t) => `${t}_upstream`), ...types.map((t) => `${t}_downstream`)]);
      // Through the client too.
      const toxic = await (await toxiproxy.get(name)).getToxic('slicer_upstream');
      expect(toxic).toMatchObject({ name: 'slicer_upstream', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: TOXIC_ATTRIBUTES.slicer });
    });

    it('toxicity: explicit 0 is kept, fractions round-trip, absent is 1', async () => {
      const { name } = await create('toxicity');
      const post = async (body: unknown) => (await call('POST', `/proxies/${name}/toxics`, body)).json() as { toxicity: number };
      expect((await post({ name: 'zero', type: 'noop', toxicity: 0 })).toxicity).toBe(0);
      expect((await post({ name: 'quarter', type: 'noop', toxicity: 0.25 })).toxicity).toBe(0.25);
      expect((await post({ name: 'default', type: 'noop' })).toxicity).toBe(1);
      expect(((await call('GET', `/proxies/${name}/toxics/zero`)).json() as { toxicity: number }).toxicity).toBe(0);
    });

    it('attributes are integers: any other JSON type is 400 on create and on update (nothing changed); negatives are accepted; unknown keys ignored', async () => {
      const { name } = await create('attrs');
      const post = (body: unknown) => call('POST', `/proxies/${name}/toxics`, body);
      for (const attributes of [{ latency: '5' }, { latency: true }, { latency: 2.5 }, { latency: [1] }, [1], 5, 'x']) {
        const res = await post({ type: 'latency', attributes });
        expect(res.status, JSON.stringify(attributes)).toBe(400);
        expect(JSON.parse(res.text)).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body: /) });
      }
      expect((await call('GET', `/proxies/${name}/toxics`)).json()).toEqual([]);
      const negative = await post({ name: 'neg', type: 'latency', attributes: { latency: -5, extra: 'ignored', Jitter: 3 } });
      expect(negative.status).toBe(200);
      expect((negative.json() as { attributes: unknown }).attributes).toEqual({ latency: -5, jitter: 3 });

      const bad = await call('POST', `/proxies/${name}/toxics/neg`, { attributes: { latency: 'slow' }, toxicity: 0.5 });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text)).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body: /) });
      expect((await call('PATCH', `/proxies/${name}/toxics/neg`, '{')).status).toBe(400);
      expect((await call('GET', `/proxies/${name}/toxics/neg`)).json()).toEqual({ name: 'neg', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: -5, jitter: 3 } });
    });

    it('toxic update reads only attributes (merged) and toxicity (kept when absent): name, type and stream are ignored', async () => {
      const { name } = await create('merge');
      await call('POST', `/proxies/${name}/toxics`, { name: 's', type: 'slicer', stream: 'upstream', attributes: { average_size: 100, size_variation: 10, delay: 50 } });
      const res = await call('PATCH', `/proxies/${name}/toxics/s`, { name: 'renamed', type: 'latency', stream: 'downstream', attributes: { delay: 7 } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ name: 's', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: { average_size: 100, size_variation: 10, delay: 7 } });
      const viaClient = await (await (await toxiproxy.get(name)).getToxic('s')).update({ toxicity: 0.5 } as never);
      expect(viaClient).toMatchObject({ name: 's', toxicity: 0.5, attributes: { average_size: 100, size_variation: 10, delay: 7 } });
      expect((await call('GET', `/proxies/${name}/toxics/renamed`)).status).toBe(404);
    });

    it('toxic routes of a missing proxy are 404 proxy not found', async () => {
      const missing = '/proxies/no_such_proxy_here';
      for (const [method, path, body] of [
        ['GET', `${missing}/toxics`],
        ['POST', `${missing}/toxics`, { type: 'latency' }],
        ['GET', `${missing}/toxics/t`],
        ['POST', `${missing}/toxics/t`, { toxicity: 1 }],
        ['PATCH', `${missing}/toxics/t`, { toxicity: 1 }],
        ['DELETE', `${missing}/toxics/t`],
      ] as Array<[string, string, unknown?]>) {
        const res = await call(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.text).toBe(errorBody('proxy not found', 404));
      }
    });

    it('POST /reset rebinds a disabled proxy on its own address and removes the toxics of every proxy', async () => {
      const a = await create('reseta');
      const b = await create('resetb');
      await call('POST', `/proxies/${b.name}/toxics`, { type: 'bandwidth', stream: 'upstream' });
      await call('PATCH', `/proxies/${a.name}`, { enabled: false });
      expect(await tryConnect(portOf(a.proxy.listen))).toBe('ECONNREFUSED');
      await toxiproxy.reset();
      expect(await tryConnect(portOf(a.proxy.listen))).toBe('connected');
      expect((await call('GET', `/proxies/${a.name}`)).json()).toMatchObject({ enabled: true, listen: a.proxy.listen });
      expect((await call('GET', `/proxies/${b.name}/toxics`)).json()).toEqual([]);
    });

    it('POST /populate: enabled defaults to true, an empty list is 201, a wrongly typed entry is 400 and creates nothing; errors are JSON', async () => {
      const [a, b] = [uniqueName('popdef'), uniqueName('poptype')];
      created.add(a);
      created.add(b);
      const res = await call('POST', '/populate', [{ name: a, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }]);
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect((res.json() as { proxies: Array<{ enabled: boolean }> }).proxies[0]!.enabled).toBe(true);

      const empty = await call('POST', '/populate', []);
      expect(empty.status).toBe(201);
      expect((empty.json() as { proxies: unknown[] | null }).proxies ?? []).toEqual([]);

      const wrong = await call('POST', '/populate', [
        { name: b, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
        { name: 'x', listen: '127.0.0.1:0', upstream: 5 },
      ]);
      expect(wrong.status).toBe(400);
      expect(wrong.headers.get('content-type')).toBe('application/json');
      const body = wrong.json() as { error: string; status: number; proxies: unknown[] | null };
      expect(body).toMatchObject({ status: 400, error: expect.stringMatching(/^bad request body: /) });
      expect(body.proxies ?? []).toEqual([]);
      expect((await call('GET', `/proxies/${b}`)).status).toBe(404);
    });

    it('POST /populate: an unchanged proxy keeps running (open connections survive), a changed one is restarted (open connections dropped)', async () => {
      const echo = await startEchoServer();
      try {
        const [same, changed] = [uniqueName('popsame'), uniqueName('popchg')];
        created.add(same);
        created.add(changed);
        const first = (await call('POST', '/populate', [
          { name: same, listen: '127.0.0.1:0', upstream: echo.address },
          { name: changed, listen: '127.0.0.1:0', upstream: echo.address },
        ])).json() as { proxies: Array<{ listen: string }> };
        const [listenSame, listenChanged] = first.proxies.map((p) => p.listen) as [string, string];
        const local = new Cleanup();
        try {
          const kept = await Client.connect(portOf(listenSame), local);
          const dropped = await Client.connect(portOf(listenChanged), local);
          kept.write('a');
          dropped.write('b');
          await kept.read(1);
          await dropped.read(1);
          const second = await call('POST', '/populate', [
            { name: same, listen: listenSame, upstream: echo.address },
            { name: changed, listen: listenChanged, upstream: `localhost:${echo.port}` },
          ]);
          expect(second.status).toBe(201);
          await dropped.waitClosed();
          kept.write('still here');
          expect((await kept.read(10)).toString()).toBe('still here');
          expect(kept.closed).toBe(false);
          const again = await Client.connect(portOf(listenChanged), local);
          again.write('c');
          expect((await again.read(1)).toString()).toBe('c');
        } finally {
          await local.run();
        }
      } finally {
        await echo.close();
      }
    });
  });
});
