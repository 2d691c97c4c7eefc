/**
 * tsx's loaders, registered once per process on first need: user files
 * (configs, scenarios, runbooks) may be TypeScript, and in a directory that
 * is not `"type": "module"` even their `.js` is CommonJS to Node. The
 * compiled CLI does not register them at start (that alone costs most of a
 * second); the sources' entry does, and says so through the same flag.
 */
const REGISTERED = Symbol.for('pgdrill.tsx-registered');

/** Registers tsx's ESM and CommonJS hooks unless they already are. */
export async function ensureTypeScriptLoader(): Promise<void> {
  const flags = globalThis as { [REGISTERED]?: boolean };
  if (flags[REGISTERED]) return;
  const [{ register }, { register: registerCommonJs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  register();
  registerCommonJs();
  flags[REGISTERED] = true;
}
