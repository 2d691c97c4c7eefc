import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, roundTrip, sleep, startEchoProxy } from '../helpers.ts';

describe('latency toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('delays each chunk by latency (±10 ms)', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    for (let i = 0; i < 5; i++) {
      const ms = await roundTrip(client);
      expect(ms).toBeGreaterThanOrEqual(90);
      expect(ms).toBeLessThanOrEqual(110);
    }
  });

  it('stays within latency ± (jitter + 10 ms)', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 100, jitter: 30 } });
    const client = await Client.connect(port, cleanup);
    for (let i = 0; i < 8; i++) {
      const ms = await roundTrip(client);
      expect(ms).toBeGreaterThanOrEqual(60);
      expect(ms).toBeLessThanOrEqual(140);
    }
  });

  it('two latency toxics add up', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'a', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 250, jitter: 0 } });
    await proxy.addToxic({ name: 'b', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 250, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    const ms = await roundTrip(client);
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThanOrEqual(510);
  });

  it('is a delay line: throughput is not reduced', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    const start = performance.now();
    for (let i = 0; i < 20; i++) {
      client.write(`m${String(i).padStart(2, '0')}`);
      await sleep(10);
    }
    const got = await client.read(60, 3000);
    const elapsed = performance.now() - start;
    // 20 writes over ~200 ms, each delayed 200 ms: about 400 ms in all, not 20 × 200 ms.
    expect(elapsed).toBeLessThan(550);
    expect(got.toString()).toBe(Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`).join(''));
  });

  it('removing it flushes what it held, in order, with nothing lost', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5000, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    const expected = Array.from({ length: 200 }, (_, i) => `<${i}>`).join('');
    for (let i = 0; i < 200; i++) client.write(`<${i}>`);
    await sleep(150);
    expect(client.bytes.length).toBe(0);
    const start = performance.now();
    await toxic.remove();
    const got = await client.read(expected.length, 2000);
    expect(performance.now() - start).toBeLessThan(500);
    expect(got.toString()).toBe(expected);
  });

  it('an update re-times held data and later chunks', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    const toxic = await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5000, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    client.write('held');
    await sleep(100);
    const start = performance.now();
    await toxic.update({ attributes: { latency: 0, jitter: 0 } } as never);
    expect((await client.read(4, 1000)).toString()).toBe('held');
    expect(performance.now() - start).toBeLessThan(300);
    expect(await roundTrip(client)).toBeLessThan(50);
  });

  it('bounds what it holds: the proxy stops reading a sender it cannot deliver yet', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 10_000, jitter: 0 } });
    const client = await Client.connect(port, cleanup);
    const block = Buffer.alloc(1024 * 1024, 3);
    for (let i = 0; i < 64; i++) client.write(block);
    await sleep(500);
    // 64 MB offered; the toxic holds at most its high-water mark (8 MiB) and kernel buffers take a few MB more.
    expect(client.socket.writableLength).toBeGreaterThan(32 * 1024 * 1024);
  });
});
