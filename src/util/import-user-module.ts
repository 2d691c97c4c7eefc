import { pathToFileURL } from 'node:url';
import { ensureTypeScriptLoader } from './typescript-loader.ts';

/**
 * Imports a file the user wrote (a config, scenario or runbook: `.ts`,
 * `.mts`, `.js`, `.mjs`) from any directory, whatever its package.json
 * says. In a directory that is not `"type": "module"` (or has no
 * package.json, as in a Go or Python repository) a `.ts` or `.js` file is
 * CommonJS to Node: tsx's CommonJS hook is registered beside its ESM one
 * (on first use, see `ensureTypeScriptLoader`) so that such a file, and what it imports (`pgdrill` included),
 * loads. Its exports then arrive wrapped (`default` holding the CommonJS
 * `module.exports` with `__esModule`); they are unwrapped here, so callers
 * see the module's own `default` and named exports either way.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  await ensureTypeScriptLoader();
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const inner = mod.default as Record<string, unknown> | undefined;
  if (inner !== null && typeof inner === 'object' && (inner as { __esModule?: unknown }).__esModule === true) {
    return { ...inner, default: inner.default };
  }
  return mod;
}
