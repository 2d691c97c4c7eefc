import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pgdrill') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`pgdrill's package.json was not found above ${start}`);
  }
}

/**
 * The directory holding pgdrill's package.json, whether pgdrill runs from
 * its TypeScript sources (`src/`) or from the compiled JavaScript
 * (`dist/src/`). Files that are not code (fixtures, the archive script) are
 * found from here, never relative to a module.
 */
export const PACKAGE_ROOT = findPackageRoot(here);

/**
 * The extension of pgdrill's own modules as they run now: `.ts` from the
 * sources (under tsx or vitest), `.js` from the compiled build. Built-in
 * scenarios, runbooks and the sample service are found with it.
 */
export const MODULE_EXTENSION: '.ts' | '.js' = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
