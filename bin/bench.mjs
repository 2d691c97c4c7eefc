#!/usr/bin/env node
// pgdrill's benchmarks (`npm run bench -- <name> [flags]`): registers the
// TypeScript loader and hands over to bench/index.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/index.ts');
process.exitCode = await main(process.argv.slice(2));
