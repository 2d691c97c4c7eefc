#!/usr/bin/env node
// pgdrill's entry point: registers the TypeScript loader (runbooks, scenarios
// and configs are TypeScript files) and hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
