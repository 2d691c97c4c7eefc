import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODULE_EXTENSION } from '../util/package-root.ts';
import { UserError, errorMessage } from '../core/errors.ts';
import { DefinitionError, definitionFix, runbookProblems, type Runbook } from '../core/runbook.ts';
import { scenarioProblems, type Scenario } from '../core/scenario.ts';
import { importUserModule } from '../util/import-user-module.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the shipped scenarios and runbooks live (one definition per file). */
export const SCENARIOS_DIR = path.join(root, 'scenarios');
export const RUNBOOKS_DIR = path.join(root, 'runbooks');

function ids(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(MODULE_EXTENSION) && !f.endsWith(`.d${MODULE_EXTENSION}`))
      .map((f) => f.slice(0, -MODULE_EXTENSION.length))
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

type Kind = 'scenario' | 'runbook';
const PROBLEMS: Record<Kind, (value: unknown) => string[]> = { scenario: scenarioProblems, runbook: runbookProblems };

/** How a definition file is named in messages: relative to the current directory when it is under it. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** A short picture of a value that is not a definition, for messages. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Imports a definition file and validates its default export with the same
 * schema as `defineScenario` / `defineRunbook` (a plain object export is
 * checked too), so that a bad file is a `UserError` naming the file, each
 * field and what was expected, before anything runs.
 */
async function importDefinition<T>(file: string, kind: Kind, builtIn = false): Promise<T> {
  const shown = shownPath(file);
  const fix = definitionFix(kind, shown);
  let mod: Record<string, unknown>;
  try {
    // A built-in definition is one of pgdrill's own modules (compiled with it); a user's file may need tsx.
    mod = builtIn ? ((await import(pathToFileURL(file).href)) as Record<string, unknown>) : await importUserModule(file);
  } catch (error) {
    if (error instanceof DefinitionError) throw new DefinitionError(error.kind, undefined, error.problems, shown);
    if (error instanceof UserError) throw new UserError(`${shown}: ${error.message}`, error.nextStep, { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && !existsSync(file)) throw new UserError(`The ${kind} file ${shown} does not exist.`, `Check the path, or use a ${kind} id (see \`pgdrill list\`).`);
    const esmHint = /require\(\) ES Module|Cannot use import statement/.test(errorMessage(error))
      ? ' It was loaded as CommonJS: name it .mts, or put it under a package.json with "type": "module".'
      : '';
    throw new UserError(`The ${kind} file ${shown} could not be loaded: ${errorMessage(error)}${esmHint}`, fix);
  }
  const value = mod.default;
  if (value === undefined) throw new UserError(`The ${kind} file ${shown} has no default export.`, fix);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`The default export of ${shown} is ${describeValue(value)}, not a ${kind} object.`, fix);
  }
  const problems = PROBLEMS[kind](value);
  if (problems.length > 0) throw new DefinitionError(kind, value, problems, shown);
  return value as T;
}

/** A definition given by path rather than id: TypeScript or JavaScript, ES module or CommonJS. */
const USER_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Loads a scenario by id (a file in scenarios/) or by path to a .ts file, validated. */
export async function loadScenario(idOrPath: string): Promise<Scenario> {
  if (USER_FILE.test(idOrPath)) return importDefinition<Scenario>(path.resolve(idOrPath), 'scenario');
  const known = scenarioIds();
  if (!known.includes(idOrPath)) {
    throw new UserError(`There is no scenario "${idOrPath}".`, `Use one of: ${known.join(', ')} (see \`pgdrill list\`), or the path of a scenario .ts file.`);
  }
  return importDefinition<Scenario>(path.join(SCENARIOS_DIR, `${idOrPath}${MODULE_EXTENSION}`), 'scenario', true);
}

/** Loads a runbook by id (a file in runbooks/) or by path to a .ts file, validated. */
export async function loadRunbook(idOrPath: string): Promise<Runbook> {
  if (USER_FILE.test(idOrPath)) return importDefinition<Runbook>(path.resolve(idOrPath), 'runbook');
  const known = runbookIds();
  if (!known.includes(idOrPath)) {
    throw new UserError(`There is no runbook "${idOrPath}".`, `Use one of: ${known.join(', ')} (see \`pgdrill list\`), or the path of a runbook .ts file.`);
  }
  return importDefinition<Runbook>(path.join(RUNBOOKS_DIR, `${idOrPath}${MODULE_EXTENSION}`), 'runbook', true);
}
