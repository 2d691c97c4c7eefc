#!/usr/bin/env node
// pgdrill's entry point. It runs the compiled CLI (dist/, built by `npm
// install` and `npm test`) when that was built from the sources as they are
// now, so that `--help` and `list` start without a TypeScript compiler;
// otherwise (a source edited since, no build, or PGDRILL_FROM_SOURCE=1) it
// registers tsx and runs the TypeScript sources. Either way tsx is loaded
// when a user's own file (config, scenario, runbook) is imported.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFingerprint } from './source-fingerprint.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function compiledIsCurrent() {
  if (process.env.PGDRILL_FROM_SOURCE === '1') return false;
  const info = path.join(root, 'dist', 'build-info.json');
  if (!existsSync(info)) return false;
  try {
    const built = JSON.parse(readFileSync(info, 'utf8'));
    const now = sourceFingerprint(root);
    return built.files === now.files && built.newestMtimeMs === now.newestMtimeMs;
  } catch {
    return false;
  }
}

let main;
if (compiledIsCurrent()) {
  ({ main } = await import('../dist/src/cli/main.js'));
} else {
  const [{ register }, { register: registerCommonJs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  register();
  registerCommonJs();
  // The flag src/util/typescript-loader.ts reads: tsx is registered already.
  globalThis[Symbol.for('pgdrill.tsx-registered')] = true;
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
