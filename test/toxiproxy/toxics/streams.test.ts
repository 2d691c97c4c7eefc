/**
 * Every toxic in each of the two streams, black-box: a client, the proxy and
 * a plain TCP server, with the sender and receiver swapped by stream
 * (upstream: the client sends; downstream: the server sends). Runs against
 * the real Toxiproxy at TOXIPROXY_URL when set, else the built-in server.
 * Timing bounds: never earlier than Toxiproxy's own tolerance (-10 ms); up to 25 ms later, for timer slack on a busy machine.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Proxy } from 'toxiproxy-node-client';
import { Cleanup, Client, portOf, sleep, startTarget, startTcpServer, uniqueName } from '../helpers.ts';

type Stream = 'upstream' | 'downstream';

describe.each(['upstream', 'downstream'] as const)('every toxic, %s', (stream: Stream) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /**
   * A proxied connection with `toxic` (if any) added before it opened.
   * `sender` writes into the stream under test, `receiver` reads out of it.
   */
  async function connection(toxic?: { type: string; attributes?: Record<string, number>; toxicity?: number }) {
    const { toxiproxy } = await startTarget(cleanup);
    const upstream = await startTcpServer();
    cleanup.add(() => upstream.close());
    const proxy = await toxiproxy.createProxy({ name: uniqueName('stream'), listen: '127.0.0.1:0', upstream: upstream.address });
    if (toxic !== undefined) {
      await proxy.addToxic({ name: 't', type: toxic.type as never, stream, toxicity: toxic.toxicity ?? 1, attributes: toxic.attributes ?? {} });
    }
    const accepted = upstream.nextConnection();
    const openedAt = performance.now();
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    const server = Client.wrap(await accepted);
    const [sender, receiver] = stream === 'upstream' ? [client, server] : [server, client];
    return { proxy, client, server, sender, receiver, openedAt };
  }

  it('latency: each chunk arrives `latency` ms later (within +10 ms)', async () => {
    const { sender, receiver } = await connection({ type: 'latency', attributes: { latency: 100, jitter: 0 } });
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      sender.write('ping');
      expect((await receiver.read(4)).toString()).toBe('ping');
      const ms = performance.now() - start;
      expect(ms).toBeGreaterThanOrEqual(100);
      expect(ms).toBeLessThanOrEqual(125); // +25 ms of timer slack on a busy machine; the lower bound is the contract
    }
  });

  it('bandwidth: 480,000 B at rate 1000 take 480 ms (-10 ms, +25 ms)', async () => {
    const { sender, receiver } = await connection({ type: 'bandwidth', attributes: { rate: 1000 } });
    const payload = Buffer.from('hello world '.repeat(40_000));
    expect(payload.length).toBe(480_000);
    const start = performance.now();
    sender.write(payload);
    const got = await receiver.read(payload.length, 3000);
    const ms = performance.now() - start;
    expect(got.equals(payload)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(470);
    expect(ms).toBeLessThanOrEqual(505);
  });

  it('slow_close: data passes at once, EOF arrives `delay` ms after it was sent', async () => {
    const { sender, receiver } = await connection({ type: 'slow_close', attributes: { delay: 300 } });
    const start = performance.now();
    sender.socket.end('bye');
    expect((await receiver.read(3)).toString()).toBe('bye');
    expect(performance.now() - start).toBeLessThan(100);
    await receiver.until(() => receiver.ended, 2000, 'EOF');
    const ms = receiver.endedAt - start;
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThanOrEqual(400);
  });

  it('timeout: data is dropped and both ends get EOF after `timeout` ms', async () => {
    const { sender, receiver, client, server, openedAt } = await connection({ type: 'timeout', attributes: { timeout: 200 } });
    sender.write('dropped');
    await client.waitClosed(2000);
    await server.waitClosed(2000);
    expect(receiver.bytes.length).toBe(0);
    expect(client.ended && server.ended).toBe(true);
    expect(client.error).toBeNull();
    const ms = Math.min(client.closedAt, server.closedAt) - openedAt;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThanOrEqual(400);
  });

  it('timeout 0: holds the connection; removing the toxic gives EOF on both ends within 1 s', async () => {
    const { proxy, sender, receiver, client, server } = await connection({ type: 'timeout', attributes: { timeout: 0 } });
    sender.write('dropped');
    await sleep(300);
    expect(receiver.bytes.length).toBe(0);
    expect(client.closed || server.closed).toBe(false);
    const start = performance.now();
    await (await proxy.getToxic('t')).remove();
    await client.until(() => client.ended, 1000, 'EOF at the client');
    await server.until(() => server.ended, 1000, 'EOF at the server');
    expect(performance.now() - start).toBeLessThan(1000);
    expect(receiver.bytes.length).toBe(0);
  });

  it('reset_peer: the connection is reset (the client sees ECONNRESET) and nothing is delivered', async () => {
    const { sender, receiver, client } = await connection({ type: 'reset_peer', attributes: { timeout: 0 } });
    sender.write('lost');
    await client.waitClosed(2000);
    expect(client.error?.code).toBe('ECONNRESET');
    expect(receiver.bytes.length).toBe(0);
  });

  it('slicer: data arrives intact, in average_size pieces `delay` µs apart', async () => {
    const { sender, receiver } = await connection({ type: 'slicer', attributes: { average_size: 10, size_variation: 0, delay: 2000 } });
    const message = randomBytes(200);
    const start = performance.now();
    sender.write(message);
    expect((await receiver.read(message.length, 3000)).equals(message)).toBe(true);
    // 20 pieces, 2 ms apart: the last one leaves 38 ms after the first.
    expect(receiver.lastDataAt - start).toBeGreaterThanOrEqual(35);
    expect(receiver.chunks).toBeGreaterThan(5);
  });

  it('limit_data: exactly `bytes` bytes pass, then the connection closes', async () => {
    const { sender, receiver, client, server } = await connection({ type: 'limit_data', attributes: { bytes: 10 } });
    sender.write('0123456789abcdefghijklmno');
    await client.waitClosed(2000);
    await server.waitClosed(2000);
    expect(receiver.bytes.toString()).toBe('0123456789');
  });

  it('noop: data passes both ways, EOF too', async () => {
    const { client, server } = await connection({ type: 'noop' });
    client.write('up');
    expect((await server.read(2)).toString()).toBe('up');
    server.write('down');
    expect((await client.read(4)).toString()).toBe('down');
    client.socket.end();
    await server.until(() => server.ended, 2000, 'EOF at the server');
    await client.waitClosed();
  });

  describe('toxicity 0 passes data through untouched', () => {
    const strong: Array<[string, Record<string, number>]> = [
      ['latency', { latency: 5000, jitter: 0 }],
      ['bandwidth', { rate: 1 }],
      ['slow_close', { delay: 5000 }],
      ['timeout', { timeout: 0 }],
      ['reset_peer', { timeout: 0 }],
      ['slicer', { average_size: 1, size_variation: 0, delay: 100_000 }],
      ['limit_data', { bytes: 1 }],
      ['noop', {}],
    ];
    it.each(strong)('%s', async (type, attributes) => {
      const { sender, receiver, client, server } = await connection({ type, attributes, toxicity: 0 });
      const message = randomBytes(2000);
      const start = performance.now();
      sender.write(message);
      expect((await receiver.read(message.length, 1000)).equals(message)).toBe(true);
      expect(performance.now() - start).toBeLessThan(100);
      sender.socket.end();
      await receiver.until(() => receiver.ended, 1000, 'EOF');
      expect(client.error ?? server.error).toBeNull();
    });
  });

  it('toxicity 1 applies to every connection', async () => {
    const { toxiproxy } = await startTarget(cleanup);
    const upstream = await startTcpServer((socket) => socket.pipe(socket));
    cleanup.add(() => upstream.close());
    const proxy: Proxy = await toxiproxy.createProxy({ name: uniqueName('always'), listen: '127.0.0.1:0', upstream: upstream.address });
    await proxy.addToxic({ name: 't', type: 'latency', stream, toxicity: 1, attributes: { latency: 100, jitter: 0 } });
    const clients = await Promise.all(Array.from({ length: 10 }, () => Client.connect(portOf(proxy.listen), cleanup)));
    const times = await Promise.all(
      clients.map(async (client) => {
        const start = performance.now();
        client.write('x');
        await client.read(1);
        return performance.now() - start;
      }),
    );
    for (const ms of times) expect(ms).toBeGreaterThanOrEqual(100);
  });
});
