#!/usr/bin/env node
// Compiles pgdrill's CLI (src/, runbooks/, scenarios/) to JavaScript in dist/
// with the project's TypeScript, and records what it was built from. Run by
// `npm install`/`npm ci` (the prepare script) and by `npm test`.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFingerprint } from './source-fingerprint.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const before = sourceFingerprint(root);
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  console.error('pgdrill build: the TypeScript compiler failed (above); dist/ was removed, so the CLI runs from its sources.');
  process.exit(1);
}
// The catalog `pgdrill list` shows, read from the compiled definitions once, here.
const { writeCatalogSummary } = await import(new URL('../dist/src/engine/catalog-summary.js', import.meta.url).href);
await writeCatalogSummary();
writeFileSync(path.join(dist, 'build-info.json'), `${JSON.stringify({ ...before, builtAt: new Date().toISOString() }, null, 2)}\n`);
