import { afterEach, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { Cleanup, Client, portOf, startTarget, startTcpServer } from '../helpers.ts';

describe('bandwidth toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function senderProxy(size: number): Promise<{ toxiproxy: Toxiproxy; port: number }> {
    const { toxiproxy } = await startTarget(cleanup);
    const sender = await startTcpServer((socket) => socket.once('data', () => socket.write(Buffer.alloc(size, 1))));
    cleanup.add(() => sender.close());
    const proxy = await toxiproxy.createProxy({ name: 'bw', listen: '127.0.0.1:0', upstream: sender.address });
    return { toxiproxy, port: portOf(proxy.listen) };
  }

  it('480,000 B at rate 1000 KB/s take 480 ms (-10 ms, +25 ms)', async () => {
    const { toxiproxy, port } = await senderProxy(480_000);
    const proxy = await toxiproxy.get('bw');
    await proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 1000 } });
    const client = await Client.connect(port, cleanup);
    const start = performance.now();
    client.write('go');
    await client.read(480_000, 3000);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(470);
    expect(elapsed).toBeLessThanOrEqual(505); // +25 ms of timer slack on a busy machine; the lower bound is the contract
  });

  it('rate 0 is unlimited', async () => {
    const { toxiproxy, port } = await senderProxy(1_000_000);
    const proxy = await toxiproxy.get('bw');
    await proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 0 } });
    const client = await Client.connect(port, cleanup);
    const start = performance.now();
    client.write('go');
    await client.read(1_000_000, 3000);
    expect(performance.now() - start).toBeLessThan(400);
  });

  it('removal flushes the queue at once', async () => {
    const { toxiproxy, port } = await senderProxy(200_000);
    const proxy = await toxiproxy.get('bw');
    const toxic = await proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 10 } });
    const client = await Client.connect(port, cleanup);
    client.write('go');
    await client.until(() => client.bytes.length > 0, 2000, 'first piece');
    await toxic.remove();
    await client.read(200_000, 1000);
  });
});
