/**
 * `npm run bench -- startup`: how long `pgdrill --help` and `pgdrill list`
 * take from process start to exit, with the compiled CLI (what users run)
 * and from the TypeScript sources (PGDRILL_FROM_SOURCE=1, what runs after
 * an edit until the next build). Target: under 300 ms compiled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize } from './stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/pgdrill.mjs');

/** The target for `--help` and `list`, in milliseconds. */
export const STARTUP_TARGET_MS = 300;

function timeOnce(args: string[], fromSource: boolean): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, PGDRILL_FROM_SOURCE: fromSource ? '1' : '' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`pgdrill ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  return ms;
}

/** Runs the startup benchmark with its flags; resolves with the exit code (1 when the compiled CLI misses the target). */
export async function runStartupBenchmark(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '10' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('npm run bench -- startup [--runs 10]\n');
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!existsSync(path.join(root, 'dist', 'build-info.json'))) {
    process.stderr.write('No compiled CLI in dist/: run `npm run build` first.\n');
    return 1;
  }
  let missed = false;
  for (const fromSource of [false, true]) {
    for (const command of [['--help'], ['list']]) {
      timeOnce(command, fromSource); // warm the file cache
      const sample = summarize(Array.from({ length: runs }, () => timeOnce(command, fromSource)));
      const judged = fromSource ? '' : sample.median < STARTUP_TARGET_MS ? `  (target < ${STARTUP_TARGET_MS} ms: met)` : `  (target < ${STARTUP_TARGET_MS} ms: MISSED)`;
      if (!fromSource && sample.median >= STARTUP_TARGET_MS) missed = true;
      process.stdout.write(`${fromSource ? 'sources ' : 'compiled'}  pgdrill ${command.join(' ').padEnd(7)} min ${sample.min.toFixed(0)} ms, median ${sample.median.toFixed(0)} ms, max ${sample.max.toFixed(0)} ms over ${runs} runs${judged}\n`);
    }
  }
  return missed ? 1 : 0;
}
