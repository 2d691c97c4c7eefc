/**
 * `npm run bench -- suite`: how long `pgdrill drill --all` takes on this
 * machine (target: the whole suite under three minutes on 2 cores). Runs
 * the real binary in a temporary working directory, several times, and
 * prints min / median / max with each scenario's verdict of the last run.
 * `--target docker` (repeatable: `--target lab --target docker`) measures
 * the Docker target too, printed beside the embedded lab's (images from
 * PGDRILL_POSTGRES_IMAGE / PGDRILL_TOXIPROXY_IMAGE or the defaults).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DrillResult } from '../src/core/result.ts';
import { summarize } from './stats.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/pgdrill.mjs');

/** The target for the whole suite, in seconds. */
export const SUITE_TARGET_S = 180;

function runAll(cwd: string, json: string, target: string): Promise<{ seconds: number; code: number | null }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'drill', '--all', '--json', json, ...(target === 'lab' ? [] : ['--target', target])], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('close', (code) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ seconds: (performance.now() - started) / 1000, code });
    });
  });
}

/** Runs the suite benchmark with its flags; resolves with the exit code. */
export async function runSuiteBenchmark(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '1' }, target: { type: 'string', multiple: true }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write('npm run bench -- suite [--runs 1] [--target lab] [--target docker]\n');
    return 0;
  }
  const targets = values.target?.length ? values.target : ['lab'];
  const lines: string[] = [];
  for (const target of targets) {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-bench-suite-'));
    chmodSync(cwd, 0o755);
    try {
      const times: number[] = [];
      let last: DrillResult[] = [];
      for (let i = 0; i < Number(values.runs); i++) {
        const json = path.join(cwd, `run-${i}.json`);
        const { seconds } = await runAll(cwd, json, target);
        times.push(seconds);
        try {
          last = JSON.parse(readFileSync(json, 'utf8')) as DrillResult[];
        } catch {
          last = [];
        }
      }
      const s = summarize(times);
      const ran = last.filter((r) => r.status !== 'skipped').length;
      if (last.length === 0) lines.push(`drill --all --target ${target}: not measured (no results: see the output above)`);
      else lines.push(`drill --all --target ${target}: ${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)} s (min / median / max of ${s.n}; ${ran} scenarios ran, ${last.length - ran} skipped), target under ${SUITE_TARGET_S} s: ${s.max <= SUITE_TARGET_S ? 'met' : 'NOT met'}`);
      for (const r of last) lines.push(`  ${r.scenario.padEnd(24)} ${r.status}`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return 0;
}
