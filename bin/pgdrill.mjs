#!/usr/bin/env node
// pgdrill's entry point: registers the TypeScript loader (runbooks, scenarios
// and configs are TypeScript files) and hands over to the CLI.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

register();
// A user's .ts/.js file in a directory that is not "type": "module" is CommonJS to Node: tsx's CommonJS
// hook lets it (and what it requires, pgdrill included) load from any directory.
registerCommonJs();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
