import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startToxiproxyServer } from '../../src/toxiproxy/server.ts';
import { Cleanup, Client, http, portOf, sleep, startEchoServer, tryConnect } from './helpers.ts';

describe('startToxiproxyServer', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('listens on 127.0.0.1 and an ephemeral port by default', async () => {
    const server = await startToxiproxyServer();
    cleanup.add(() => server.close());
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await http(server.url, 'GET', '/version')).status).toBe(200);
  });

  it('takes localhost and an explicit port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const server = await startToxiproxyServer({ host: 'localhost', port });
    cleanup.add(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
  });

  it('refuses a host that is not loopback', async () => {
    for (const host of ['0.0.0.0', '10.1.2.3', 'example.com', '::']) {
      await expect(startToxiproxyServer({ host })).rejects.toThrow(/loopback/);
    }
  });

  it('rejects when the port is taken', async () => {
    const first = await startToxiproxyServer();
    cleanup.add(() => first.close());
    await expect(startToxiproxyServer({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('close() stops the API, every listener and every socket, and is idempotent', async () => {
    const echo = await startEchoServer();
    cleanup.add(() => echo.close());
    const server = await startToxiproxyServer();
    cleanup.add(() => server.close());
    const proxy = await new Toxiproxy(server.url).createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: echo.address });
    const port = portOf(proxy.listen);
    const client = await Client.connect(port, cleanup);
    client.write('x');
    await client.read(1);

    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    await client.waitClosed();
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    await server.close();
  });

  it('logs one line per API call and per connection open/close', async () => {
    const lines: string[] = [];
    const echo = await startEchoServer();
    cleanup.add(() => echo.close());
    const server = await startToxiproxyServer({ log: (line) => lines.push(line) });
    cleanup.add(() => server.close());
    const proxy = await new Toxiproxy(server.url).createProxy({ name: 'logged', listen: '127.0.0.1:0', upstream: echo.address });
    expect(lines.filter((l) => l.startsWith('api: POST /proxies 201'))).toHaveLength(1);
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    client.write('x');
    await client.read(1);
    client.socket.end();
    await client.waitClosed();
    await sleep(50);
    expect(lines.some((l) => /proxy logged: connection .* opened/.test(l))).toBe(true);
    expect(lines.some((l) => /proxy logged: connection .* closed/.test(l))).toBe(true);
  });

  it('answers the API at once while a toxic holding megabytes is removed under a stalled client', async () => {
    const sender = await startEchoServer();
    cleanup.add(() => sender.close());
    const server = await startToxiproxyServer();
    cleanup.add(() => server.close());
    const toxiproxy = new Toxiproxy(server.url);
    const proxy = await toxiproxy.createProxy({ name: 'busy', listen: '127.0.0.1:0', upstream: sender.address });
    const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 60_000, jitter: 0 } });
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    client.socket.pause();
    const block = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 64; i++) client.write(block);
    await sleep(300);
    const start = performance.now();
    await toxic.remove();
    const toxics = await http(server.url, 'GET', '/proxies/busy/toxics');
    expect(toxics.text).toBe('[]');
    expect(performance.now() - start).toBeLessThan(200);
  });
});
