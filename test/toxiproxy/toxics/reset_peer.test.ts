import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, startEchoProxy } from '../helpers.ts';

describe('reset_peer toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('resets an open connection with a TCP RST (ECONNRESET) on both ends', async () => {
    const { proxy, port, echo } = await startEchoProxy(cleanup);
    const client = await Client.connect(port, cleanup);
    client.write('a');
    await client.read(1);
    const [serverSide] = [...echo.sockets];
    const serverError = new Promise<string>((resolve) => {
      serverSide!.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? ''));
      serverSide!.once('close', () => resolve('closed'));
    });
    await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
    client.write('b');
    await client.waitClosed();
    expect(client.error?.code).toBe('ECONNRESET');
    expect(await serverError).toBe('ECONNRESET');
  });

  it('waits `timeout` ms after data arrives before resetting', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: 200 } });
    const client = await Client.connect(port, cleanup);
    const start = performance.now();
    client.write('go');
    await client.waitClosed(2000);
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
    expect(client.error?.code).toBe('ECONNRESET');
    expect(client.bytes.length).toBe(0);
  });
});
