import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../core/errors.ts';
import type { Runbook } from '../core/runbook.ts';
import type { Scenario } from '../core/scenario.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the shipped scenarios and runbooks live (one definition per file). */
export const SCENARIOS_DIR = path.join(root, 'scenarios');
export const RUNBOOKS_DIR = path.join(root, 'runbooks');

function ids(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

/** Ids of every shipped scenario. */
export function scenarioIds(): string[] {
  return ids(SCENARIOS_DIR);
}

/** Ids of every shipped runbook. */
export function runbookIds(): string[] {
  return ids(RUNBOOKS_DIR);
}

async function importDefault<T>(file: string, what: string): Promise<T> {
  let mod: { default?: T };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: T };
  } catch (error) {
    if (error instanceof UserError) throw error;
    const esmHint = /require\(\) ES Module|Cannot use import statement/.test(errorMessage(error))
      ? ' It was loaded as CommonJS: name it .mts, or put it under a package.json with "type": "module".'
      : '';
    throw new UserError(`The ${what} file ${file} could not be loaded: ${errorMessage(error)}${esmHint}`, 'Fix the file (it must be valid TypeScript with a default export) and run again.');
  }
  if (!mod.default) throw new UserError(`The ${what} file ${file} has no default export.`, `Export the ${what} with \`export default define${what === 'scenario' ? 'Scenario' : 'Runbook'}({...})\`.`);
  return mod.default;
}

/**
 * Loads a scenario by id (a file in scenarios/) or by path to a .ts file.
 * Its definition was validated when the file was imported (defineScenario).
 */
export async function loadScenario(idOrPath: string): Promise<Scenario> {
  if (/\.m?ts$/.test(idOrPath)) return importDefault<Scenario>(path.resolve(idOrPath), 'scenario');
  const known = scenarioIds();
  if (!known.includes(idOrPath)) {
    throw new UserError(`There is no scenario "${idOrPath}".`, `Use one of: ${known.join(', ')} (see \`pgdrill list\`), or the path of a scenario .ts file.`);
  }
  return importDefault<Scenario>(path.join(SCENARIOS_DIR, `${idOrPath}.ts`), 'scenario');
}

/** Loads a runbook by id (a file in runbooks/) or by path to a .ts file. */
export async function loadRunbook(idOrPath: string): Promise<Runbook> {
  if (/\.m?ts$/.test(idOrPath)) return importDefault<Runbook>(path.resolve(idOrPath), 'runbook');
  const known = runbookIds();
  if (!known.includes(idOrPath)) {
    throw new UserError(`There is no runbook "${idOrPath}".`, `Use one of: ${known.join(', ')} (see \`pgdrill list\`), or the path of a runbook .ts file.`);
  }
  return importDefault<Runbook>(path.join(RUNBOOKS_DIR, `${idOrPath}.ts`), 'runbook');
}
