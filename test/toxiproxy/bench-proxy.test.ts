/**
 * The pieces of `npm run bench -- proxy` that can be checked quickly: the
 * dispatcher, flag parsing, pgbench output parsing, the statistics, and a
 * small bulk transfer through the built-in proxy in both directions.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../bench/index.ts';
import { bulkTransfer, parseProxyBenchArgs, parsePgbenchOutput } from '../../bench/proxy.ts';
import { spread, summarize } from '../../bench/stats.ts';
import { Cleanup, startServerAndClient } from './helpers.ts';

const PGBENCH_15 = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 10
query mode: simple
number of clients: 8
number of threads: 8
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 118983
number of failed transactions: 0 (0.000%)
latency average = 0.336 ms
initial connection time = 12.281 ms
tps = 23797.152961 (without initial connection time)
`;

describe('bench: proxy', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('dispatches by name: an unknown or missing name lists the benchmarks and exits 1', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['no-such-benchmark'])).toBe(1);
      expect(await main([])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/benchmarks:\n\s+proxy\s/);
      expect(await main(['proxy', '--runs', 'x'])).toBe(1);
    } finally {
      stderr.mockRestore();
    }
  });

  it('parses its flags, with defaults', () => {
    expect(parseProxyBenchArgs([])).toEqual({ seconds: 10, runs: 3, clients: [1, 8], scale: 10, bulkMb: 1000, json: undefined, only: undefined, help: false });
    expect(parseProxyBenchArgs(['--seconds', '5', '--runs', '2', '--clients', '8,1,8', '--only', 'bulk'])).toMatchObject({ seconds: 5, runs: 2, clients: [1, 8], only: 'bulk' });
    expect(() => parseProxyBenchArgs(['--seconds', '0'])).toThrow(/--seconds/);
    expect(() => parseProxyBenchArgs(['--only', 'everything'])).toThrow(/--only/);
    expect(() => parseProxyBenchArgs(['--nope'])).toThrow();
  });

  it("reads tps and average latency out of pgbench's summary", () => {
    expect(parsePgbenchOutput(PGBENCH_15)).toEqual({ tps: 23797.152961, latencyMs: 0.336 });
    expect(() => parsePgbenchOutput('pgbench: error: connection refused')).toThrow(/could not read/);
  });

  it('summarizes runs as min / median / max', () => {
    expect(summarize([3])).toEqual({ n: 1, min: 3, median: 3, max: 3 });
    expect(summarize([5, 1, 3])).toEqual({ n: 3, min: 1, median: 3, max: 5 });
    expect(summarize([4, 1, 3, 2])).toEqual({ n: 4, min: 1, median: 2.5, max: 4 });
    expect(spread(summarize([90, 100, 110]))).toBeCloseTo(0.2);
    expect(() => summarize([])).toThrow();
    expect(() => summarize([1, Number.NaN])).toThrow();
  });

  it('moves bulk data directly and through the proxy, both ways, and reports MB/s', async () => {
    const { toxiproxy } = await startServerAndClient(cleanup);
    const signal = new AbortController().signal;
    for (const direction of ['upstream', 'downstream'] as const) {
      expect(await bulkTransfer(20_000_000, direction, null, signal)).toBeGreaterThan(0);
      expect(await bulkTransfer(20_000_000, direction, toxiproxy, signal)).toBeGreaterThan(0);
    }
    // The proxies made for the transfers are gone.
    expect(await toxiproxy.getAll()).toEqual({});
  });
});
