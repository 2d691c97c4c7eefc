import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, startEchoProxy } from '../helpers.ts';

describe('noop toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('passes data both ways and is listed with empty attributes', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'n1', type: 'noop' as never, stream: 'upstream', toxicity: 1, attributes: {} });
    await proxy.addToxic({ name: 'n2', type: 'noop' as never, stream: 'downstream', toxicity: 1, attributes: {} });
    const client = await Client.connect(port, cleanup);
    client.write('through');
    expect((await client.read(7)).toString()).toBe('through');
    const toxic = await proxy.getToxic('n1');
    expect(toxic.attributes).toEqual({});
  });
});
