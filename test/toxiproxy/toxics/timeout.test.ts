import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, Client, sleep, startEchoProxy } from '../helpers.ts';

describe('timeout toxic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('timeout 0 drops data and holds the connection; removal closes both ends within 1 s', async () => {
    const { proxy, port, echo } = await startEchoProxy(cleanup);
    const client = await Client.connect(port, cleanup);
    client.write('a');
    await client.read(1);
    const [serverSide] = [...echo.sockets];
    const serverClosed = new Promise<void>((resolve) => serverSide!.once('close', () => resolve()));

    const toxic = await proxy.addToxic({ name: 'hold', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
    client.write('dropped');
    await sleep(300);
    expect(client.bytes.length).toBe(0);
    expect(client.closed).toBe(false);

    const start = performance.now();
    await toxic.remove();
    await client.waitClosed(1000);
    await serverClosed;
    expect(performance.now() - start).toBeLessThan(1000);
    expect(client.bytes.length).toBe(0);
  });

  it('closes the connection after `timeout` ms', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    await proxy.addToxic({ name: 't', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 200 } });
    const start = performance.now();
    const client = await Client.connect(port, cleanup);
    client.write('never echoed');
    await client.waitClosed(2000);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(400);
    expect(client.ended).toBe(true);
    expect(client.bytes.length).toBe(0);
  });

  it('an update restarts the timer without closing', async () => {
    const { proxy, port } = await startEchoProxy(cleanup);
    const toxic = await proxy.addToxic({ name: 't', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 300 } });
    const client = await Client.connect(port, cleanup);
    await sleep(150);
    await toxic.update({ attributes: { timeout: 0 } } as never);
    await sleep(400);
    expect(client.closed).toBe(false);
  });
});
