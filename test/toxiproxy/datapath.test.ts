import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Toxiproxy } from 'toxiproxy-node-client';
import { Cleanup, Client, externalUrl, portOf, sleep, startEchoServer, startTarget, startTcpServer, tryConnect } from './helpers.ts';
import type { TestTcpServer } from './helpers.ts';

describe(`toxiproxy data path (${externalUrl ?? 'built-in server'})`, () => {
  const cleanup = new Cleanup();
  let toxiproxy: Toxiproxy;
  let echo: TestTcpServer;

  beforeEach(async () => {
    ({ toxiproxy } = await startTarget(cleanup));
    echo = await startEchoServer();
    cleanup.add(() => echo.close());
  });
  afterEach(() => cleanup.run());

  async function echoProxy(name = 'echo') {
    const proxy = await toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: echo.address });
    return { proxy, port: portOf(proxy.listen) };
  }

  it('forwards both directions with no toxics', async () => {
    const { port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    client.write('hello');
    expect((await client.read(5)).toString()).toBe('hello');
  });

  it('carries 64 KB messages intact, many times over one connection', async () => {
    const { port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    for (let i = 0; i < 10; i++) {
      const message = randomBytes(64 * 1024);
      client.write(message);
      expect((await client.read(message.length)).equals(message)).toBe(true);
    }
  });

  it('65,535 ordered frames arrive intact while a latency toxic is added and removed in a loop on both streams', async () => {
    const { proxy, port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    const frames = 65_535;
    const expected = Buffer.alloc(frames * 2);
    for (let i = 0; i < frames; i++) expected.writeUInt16BE(i, i * 2);
    let stop = false;
    let cycles = 0;
    const churn = (async () => {
      while (!stop) {
        const stream = cycles % 2 === 0 ? 'downstream' : 'upstream';
        // Held data must be flushed, in order, when the toxic goes: 1 s of latency would otherwise show.
        const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream, toxicity: 1, attributes: { latency: 1000, jitter: 0 } });
        await sleep(1);
        await toxic.remove();
        cycles++;
      }
    })();
    // One write per 2-byte frame, paced so that the frames overlap many add/remove cycles.
    for (let i = 0; i < frames; i++) {
      client.write(expected.subarray(i * 2, i * 2 + 2));
      if (i % 512 === 511) await sleep(2);
    }
    let got: Buffer;
    try {
      got = await client.read(expected.length, 15_000);
    } finally {
      stop = true;
      await churn;
    }
    expect(got.equals(expected)).toBe(true);
    expect(cycles).toBeGreaterThan(10);
    // Nothing more than the frames came back.
    await sleep(50);
    expect(client.bytes.length).toBe(0);
  });

  it('dials the upstream only per connection: an unreachable upstream gives accept-then-EOF', async () => {
    const dead = await startTcpServer();
    const deadAddress = dead.address;
    await dead.close();
    const proxy = await toxiproxy.createProxy({ name: 'dead', listen: '127.0.0.1:0', upstream: deadAddress });
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    await client.waitClosed();
    expect(client.ended).toBe(true);
    expect(client.error).toBeNull();
  });

  it('disable refuses new connects and closes open ones; enable rebinds the same address', async () => {
    const { proxy, port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    client.write('a');
    await client.read(1);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await client.waitClosed();
    expect(await tryConnect(port)).toBe('ECONNREFUSED');

    const enabled = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(enabled.listen).toBe(proxy.listen);
    const again = await Client.connect(port, cleanup);
    again.write('b');
    expect((await again.read(1)).toString()).toBe('b');
  });

  it('delete closes the listener and every socket', async () => {
    const { proxy, port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    client.write('x');
    await client.read(1);
    await proxy.remove();
    await client.waitClosed();
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });

  it('changing the upstream restarts the listener and drops connections', async () => {
    const { proxy, port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    client.write('x');
    await client.read(1);
    const other = await startTcpServer((socket) => socket.end('other'));
    cleanup.add(() => other.close());
    const updated = await proxy.update({ enabled: true, listen: proxy.listen, upstream: other.address });
    await client.waitClosed();
    expect(updated.upstream).toBe(other.address);
    const fresh = await Client.connect(portOf(updated.listen), cleanup);
    expect((await fresh.read(5)).toString()).toBe('other');
  });

  it('changing the listen address moves the listener', async () => {
    const { proxy, port } = await echoProxy();
    const moved = await proxy.update({ enabled: true, listen: '127.0.0.1:0', upstream: proxy.upstream });
    const newPort = portOf(moved.listen);
    expect(newPort).not.toBe(port);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    const client = await Client.connect(newPort, cleanup);
    client.write('moved');
    expect((await client.read(5)).toString()).toBe('moved');
  });

  it('EOF from the client closes the upstream side, and EOF from the server closes the client', async () => {
    const upstream = await startTcpServer();
    cleanup.add(() => upstream.close());
    const proxy = await toxiproxy.createProxy({ name: 'eof', listen: '127.0.0.1:0', upstream: upstream.address });
    const port = portOf(proxy.listen);

    const accepted = upstream.nextConnection();
    const client = await Client.connect(port, cleanup);
    const serverSide = await accepted;
    const serverClosed = new Promise<void>((resolve) => serverSide.once('close', () => resolve()));
    client.socket.end();
    await serverClosed;

    const accepted2 = upstream.nextConnection();
    const client2 = await Client.connect(port, cleanup);
    const serverSide2 = await accepted2;
    serverSide2.end('bye');
    await client2.waitClosed();
    expect(client2.bytes.toString()).toBe('bye');
    expect(client2.ended).toBe(true);
  });

  it('toxics apply to an already-open connection', async () => {
    const { proxy, port } = await echoProxy();
    const client = await Client.connect(port, cleanup);
    client.write('1');
    await client.read(1);
    await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    const start = performance.now();
    client.write('2');
    await client.read(1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
  });

  it('toxicity 0 passes data untouched', async () => {
    const { proxy, port } = await echoProxy();
    await proxy.addToxic({ name: 'never', type: 'timeout', stream: 'downstream', toxicity: 0, attributes: { timeout: 0 } });
    const client = await Client.connect(port, cleanup);
    client.write('pass');
    expect((await client.read(4)).toString()).toBe('pass');
  });

  it('stops reading a fast upstream when the client does not read (backpressure)', async () => {
    const total = 256 * 1024 * 1024;
    let written = 0;
    const upstream = await startTcpServer((socket) => {
      const block = Buffer.alloc(1024 * 1024, 7);
      const pump = (): void => {
        while (written < total && !socket.destroyed) {
          written += block.length;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    cleanup.add(() => upstream.close());
    const proxy = await toxiproxy.createProxy({ name: 'bp', listen: '127.0.0.1:0', upstream: upstream.address });
    const socket = connect({ host: '127.0.0.1', port: portOf(proxy.listen) });
    cleanup.add(() => socket.destroy());
    socket.pause();
    await sleep(500);
    const stalledAt = written;
    await sleep(300);
    // The writer is blocked: the proxy stopped reading, so kernel buffers filled and nothing more was accepted.
    expect(written).toBe(stalledAt);
    expect(written).toBeLessThan(total);
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    await sleep(200);
    expect(received).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(stalledAt);
  });
});

describe('toxicity', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('is rolled per connection', async () => {
    const { toxiproxy } = await startTarget(cleanup);
    const echo = await startEchoServer();
    cleanup.add(() => echo.close());
    const proxy = await toxiproxy.createProxy({ name: 'half', listen: '127.0.0.1:0', upstream: echo.address });
    await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 1000, jitter: 0 } });
    // A 1 s latency against a gap of 500 ms: a busy machine delays the fast connections by far less than that.
    const clients = await Promise.all(Array.from({ length: 30 }, () => Client.connect(portOf(proxy.listen), cleanup)));
    const times = await Promise.all(
      clients.map(async (client) => {
        const start = performance.now();
        client.write('x');
        await client.read(1);
        return performance.now() - start;
      }),
    );
    const slow = times.filter((t) => t >= 990).length;
    const fast = times.filter((t) => t < 500).length;
    expect(slow + fast).toBe(30);
    expect(slow).toBeGreaterThan(0);
    expect(fast).toBeGreaterThan(0);
  });
});
