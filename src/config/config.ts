import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../core/errors.ts';
import { describeIssues } from '../core/runbook.ts';
import { importUserModule } from '../util/import-user-module.ts';

const ObjectivesSchema = z.object({ rtoMs: z.number().int().positive().optional(), rpoMs: z.number().int().min(0).optional() }).strict();

const ConfigSchema = z
  .object({
    /** Objective overrides by scenario id; the seed's table is the default. */
    objectives: z.record(z.string(), ObjectivesSchema).optional(),
    /** Scenarios `pgdrill ci` runs when none are named; default: every scenario. */
    scenarios: z.array(z.string()).optional(),
    /** Regression tolerance against a baseline. */
    regression: z.object({ ratio: z.number().min(0).optional(), minMs: z.number().int().min(0).optional() }).strict().optional(),
    /** How long each fault stands before its runbook starts, for every scenario. */
    holdMs: z.number().int().min(0).optional(),
    /** Load rate for every scenario. */
    rate: z.number().int().positive().optional(),
    /** PgBouncer in the service path of every scenario (service → fault proxy → PgBouncer → PostgreSQL), as `--pooler` does. */
    pooler: z.boolean().optional(),
  })
  .strict();

/**
 * A pgdrill configuration for CI: objectives per scenario (overriding the
 * seed's table), which scenarios to run, the regression tolerance, and the
 * drill's hold and load. Durations in milliseconds.
 */
export type PgdrillConfig = z.infer<typeof ConfigSchema>;

/** Types a configuration (`export default defineConfig({...})`); a plain object of the same shape works too. */
export function defineConfig(config: PgdrillConfig): PgdrillConfig {
  return config;
}

/** The config file used when none is named: `pgdrill.config.ts` in the working directory, if present. */
export function defaultConfigFile(cwd = process.cwd()): string | undefined {
  const file = path.join(cwd, 'pgdrill.config.ts');
  return existsSync(file) ? file : undefined;
}

/**
 * Loads and validates a config file (TypeScript or JavaScript, default
 * export). Unknown keys, wrong types and objectives for scenarios that do
 * not exist are clear errors.
 */
export async function loadConfig(file: string, knownScenarios: readonly string[]): Promise<PgdrillConfig> {
  const full = path.resolve(file);
  if (!existsSync(full)) throw new UserError(`The config file ${full} does not exist.`, 'Check the --config path, or leave --config out to use the seed objectives.');
  let mod: { default?: unknown };
  try {
    mod = await importUserModule(full);
  } catch (error) {
    throw new UserError(`The config file ${full} could not be loaded: ${errorMessage(error)}`, 'It must be a TypeScript or JavaScript module with `export default defineConfig({...})`.');
  }
  const parsed = ConfigSchema.safeParse(mod.default);
  if (!parsed.success) throw new UserError(`The config file ${full} is invalid: ${describeIssues(parsed.error)}.`, 'Fix it: see the README section on `pgdrill ci` for its shape.');
  const unknown = [...Object.keys(parsed.data.objectives ?? {}), ...(parsed.data.scenarios ?? [])].filter((id) => !knownScenarios.includes(id));
  if (unknown.length) {
    throw new UserError(`The config file ${full} names scenarios that do not exist: ${[...new Set(unknown)].join(', ')}.`, `Known scenarios: ${knownScenarios.join(', ')}.`);
  }
  return parsed.data;
}
