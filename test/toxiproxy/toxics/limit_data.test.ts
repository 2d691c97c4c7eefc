import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, portOf, startTarget, startTcpServer } from '../helpers.ts';

describe('limit_data toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function proxyTo(reply: string) {
    const { toxiproxy } = await startTarget(cleanup);
    const upstream = await startTcpServer((socket) => socket.on('data', () => socket.write(reply)));
    cleanup.add(() => upstream.close());
    return toxiproxy.createProxy({ name: 'ld', listen: '127.0.0.1:0', upstream: upstream.address });
  }

  it('passes exactly `bytes` bytes, then closes', async () => {
    const proxy = await proxyTo('0123456789abcdefghijklmno');
    await proxy.addToxic({ name: 'ld', type: 'limit_data', stream: 'downstream', toxicity: 1, attributes: { bytes: 10 } });
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    client.write('go');
    await client.waitClosed();
    expect(client.bytes.toString()).toBe('0123456789');
    expect(client.ended).toBe(true);
  });

  it('bytes 0 closes on the first chunk', async () => {
    const proxy = await proxyTo('never');
    await proxy.addToxic({ name: 'ld', type: 'limit_data', stream: 'upstream', toxicity: 1, attributes: { bytes: 0 } });
    const client = await Client.connect(portOf(proxy.listen), cleanup);
    client.write('go');
    await client.waitClosed();
    expect(client.bytes.length).toBe(0);
  });
});
