/**
 * The HTTP API never waits on the data path: toxics are added, updated and
 * removed while connections through the proxy carry bulk traffic as fast as
 * they can (generated in a separate process), and every API call must answer
 * promptly. Runs against the real Toxiproxy at TOXIPROXY_URL when set, else
 * the built-in server.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, http, portOf, sleep, startTarget, uniqueName } from './helpers.ts';

/** How long any single API call may take while the data path is saturated. */
const API_BUDGET_MS = 200;

/** The bulk-traffic process: its server's port, and how many bytes its connections have read so far. */
interface Traffic {
  port: number;
  received(): number;
  connect(port: number, connections: number): void;
}

async function startTraffic(cleanup: Cleanup): Promise<Traffic> {
  const script = path.join(import.meta.dirname, 'fixtures/bulk-traffic.mjs');
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanup.add(() => {
    child.stdin.end();
    child.kill('SIGKILL');
  });
  let received = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bulk-traffic exited early (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [what, value] = line.split(' ');
      if (what === 'listening') resolve(Number(value));
      if (what === 'received') received = Number(value);
    });
  });
  return {
    port,
    received: () => received,
    connect: (to, connections) => child.stdin.write(`connect ${to} ${connections}\n`),
  };
}

describe('the HTTP API under full traffic', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it(`answers every call within ${API_BUDGET_MS} ms while toxics come and go under a bulk transfer`, async () => {
    const { url, toxiproxy } = await startTarget(cleanup);
    const traffic = await startTraffic(cleanup);
    const proxy = await toxiproxy.createProxy({ name: uniqueName('load'), listen: '127.0.0.1:0', upstream: `127.0.0.1:${traffic.port}` });
    traffic.connect(portOf(proxy.listen), 4);
    // Wait for the transfer to be in full swing.
    const warmStart = performance.now();
    while (traffic.received() < 64 * 1024 * 1024 && performance.now() - warmStart < 10_000) await sleep(20);
    expect(traffic.received()).toBeGreaterThanOrEqual(64 * 1024 * 1024);

    const timings: Array<[string, number]> = [];
    const timed = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      const result = await call();
      timings.push([what, performance.now() - start]);
      return result;
    };

    const receivedBefore = traffic.received();
    const churnStart = performance.now();
    let cycles = 0;
    while (performance.now() - churnStart < 2000 && cycles < 50) {
      const latency = await timed('add latency', () => proxy.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 5 } }));
      const bandwidth = await timed('add bandwidth', () => proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 20_000 } }));
      const slicer = await timed('add slicer', () => proxy.addToxic({ name: 'sl', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: { average_size: 16_384, size_variation: 1024, delay: 10 } }));
      await sleep(20);
      await timed('update latency', () => latency.update({ attributes: { latency: 5 } } as never));
      await timed('update bandwidth', () => bandwidth.update({ attributes: { rate: 1000 } } as never));
      await timed('GET proxy', () => http(url, 'GET', `/proxies/${proxy.name}`));
      await sleep(20);
      // Removal flushes whatever the toxic holds: it must not make the API wait for the receiver.
      await timed('remove latency', () => latency.remove());
      await timed('remove bandwidth', () => bandwidth.remove());
      await timed('remove slicer', () => slicer.remove());
      await timed('GET toxics', () => http(url, 'GET', `/proxies/${proxy.name}/toxics`));
      cycles++;
    }
    const receivedDuring = traffic.received() - receivedBefore;

    const slowest = timings.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(cycles).toBeGreaterThan(3);
    expect(slowest[1], `slowest call: ${slowest[0]} took ${slowest[1].toFixed(1)} ms`).toBeLessThan(API_BUDGET_MS);
    // The traffic really was flowing while the API was being used, and still flows with the toxics gone.
    expect(receivedDuring).toBeGreaterThan(32 * 1024 * 1024);
    const after = traffic.received();
    await sleep(200);
    expect(traffic.received()).toBeGreaterThan(after);
    expect((await http(url, "GET", `/proxies/${proxy.name}/toxics`)).json()).toEqual([]);
  });
});
