import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, startEchoProxy } from '../helpers.ts';

describe('slicer toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('delivers data intact in many small pieces', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 's', type: 'slicer', stream: 'downstream', toxicity: 1, attributes: { average_size: 100, size_variation: 40, delay: 2000 } });
    const client = await Client.connect(port, cleanup);
    let events = 0;
    client.socket.on('data', () => events++);
    const message = randomBytes(2000);
    client.write(message);
    expect((await client.read(message.length, 3000)).equals(message)).toBe(true);
    expect(events).toBeGreaterThan(5);
  });

  it('average_size <= 0 passes chunks whole', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 's', type: 'slicer', stream: 'downstream', toxicity: 1, attributes: { average_size: 0, size_variation: 0, delay: 0 } });
    const client = await Client.connect(port, cleanup);
    client.write('whole');
    expect((await client.read(5)).toString()).toBe('whole');
  });
});
