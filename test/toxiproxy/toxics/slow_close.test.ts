import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, portOf, startTarget, startTcpServer } from '../helpers.ts';

describe('slow_close toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('passes data at once and delays the close by `delay` ms', async () => {
    const { toxiproxy } = await startTarget(cleanup);
    const upstream = await startTcpServer((socket) => socket.once('data', () => socket.end('bye')));
    cleanup.add(() => upstream.close());
    const proxy = await toxiproxy.createProxy({ name: 'sc', listen: '127.0.0.1:0', upstream: upstream.address });
    await proxy.addToxic({ name: 'sc', type: 'slow_close', stream: 'downstream', toxicity: 1, attributes: { delay: 300 } });
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    const start = performance.now();
    client.write('hi');
    expect((await client.read(3)).toString()).toBe('bye');
    expect(performance.now() - start).toBeLessThan(100);
    await client.waitClosed(2000);
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    expect(client.ended).toBe(true);
  });
});
