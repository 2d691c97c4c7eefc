/**
 * Entry point of `npm run bench -- <name> [flags]`: dispatches to one
 * benchmark by name. Each benchmark is loaded only when asked for.
 */

/** One benchmark: what it measures, and how to run it with its own flags. */
export interface BenchmarkEntry {
  /** One line for the list of benchmarks. */
  description: string;
  /** Runs the benchmark with the flags after its name; resolves with the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Every known benchmark, by name. */
export const BENCHMARKS: Readonly<Record<string, BenchmarkEntry>> = {
  proxy: {
    description: 'the built-in fault proxy (no toxics) vs direct: pgbench tps and latency, bulk TCP MB/s',
    run: async (args) => (await import('./proxy.ts')).runProxyBenchmark(args),
  },
  load: {
    description: 'the highest request rate the sample service sustains through the proxy, beside the machine ceiling; and the drill load at 1000 req/s',
    run: async (args) => (await import('./load.ts')).runLoadBenchmark(args),
  },
  restore: {
    description: 'restore + WAL replay of a generated lab (--gb, default 1 GB) beside a raw cp -a of its data directory (target: ratio ≥ 0.5)',
    run: async (args) => (await import('./restore.ts')).runRestoreBenchmark(args),
  },
  long: {
    description: 'a real drill of --minutes N (default 2) at --rate R (default 1000): peak RSS, analysis time, report sizes, extrapolated to 30 min at 1000/s (targets: < 500 MB, < 5 s)',
    run: async (args) => (await import('./long.ts')).runLongBenchmark(args),
  },
  startup: {
    description: 'how long `pgdrill --help` and `pgdrill list` take, compiled and from the sources (target: under 300 ms compiled)',
    run: async (args) => (await import('./startup.ts')).runStartupBenchmark(args),
  },
  suite: {
    description: 'how long `pgdrill drill --all` takes (target: under 3 minutes on 2 cores)',
    run: async (args) => (await import('./suite.ts')).runSuiteBenchmark(args),
  },
};

function list(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const lines = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(width)}  ${b.description}`);
  return `usage: npm run bench -- <name> [flags]   (<name> --help for its flags)\n\nbenchmarks:\n${lines.join('\n')}\n`;
}

/**
 * Run the benchmark named by `argv[0]` with the rest of `argv` as its flags
 * and resolve with the exit code it returns. With `--help`/`-h` (or `help`)
 * prints the list of benchmarks and resolves 0; with no name or an unknown
 * one, prints the list to stderr and resolves 1.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(list());
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(`no benchmark named\n${list()}`);
    return 1;
  }
  const benchmark = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (benchmark === undefined) {
    process.stderr.write(`unknown benchmark "${name}"\n${list()}`);
    return 1;
  }
  return benchmark.run(rest);
}
