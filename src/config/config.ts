import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../core/errors.ts';
import { describeIssues } from '../core/runbook.ts';
import { importUserModule } from '../util/import-user-module.ts';

const ObjectivesSchema = z.object({ rtoMs: z.number().int().positive().optional(), rpoMs: z.number().int().min(0).optional() }).strict();

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (a-z, 0-9, _)');
/** A role pgdrill creates (or resets) for the system: never one the lab itself relies on. */
const roleName = identifier.refine(
  (r) => !r.startsWith('pg_') && !['pgdrill', 'postgres', 'auth_service', 'payments_service', 'admin_service', 'profile_service'].includes(r),
  "must not be one of the lab's own roles (pgdrill, postgres, the seed's service roles, pg_*): pgdrill resets its attributes and password",
);
const template = (defaultMethod: string) =>
  z
    .object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional().describe(`default ${defaultMethod}`),
      path: z.string().regex(/^\/\S*$/, 'must be a path starting with /'),
      body: z.unknown().optional(),
    })
    .strict();

const SystemSchema = z
  .object({
    /** The database created in the lab for the service, owned by `ownerRole` (not one of the lab's own: it is dropped and recreated). */
    database: identifier.refine((d) => !['postgres', 'template0', 'template1', 'auth_db', 'payments_db', 'admin_db', 'profile_db'].includes(d), 'must not be one of the lab\'s own databases (postgres, the templates, auth_db, payments_db, admin_db, profile_db): pgdrill drops and recreates it'),
    /** The role that owns the database and runs the schema or migration (default `<database>_owner`). */
    ownerRole: roleName.optional(),
    /** SQL files applied in order, relative to the config file. */
    schema: z.array(z.string().min(1)).min(1).optional(),
    /** A command (argv, no shell) run with DATABASE_URL as the owner role, e.g. ['npx', 'prisma', 'migrate', 'deploy']. */
    migrate: z.array(z.string().min(1)).min(1).optional(),
    /** The least-privilege role the service connects as (default `<database>_service` with SELECT, INSERT, UPDATE). */
    serviceRole: z
      .object({ name: roleName.optional(), grants: z.array(z.enum(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'])).min(1).optional() })
      .strict()
      .optional(),
    service: z
      .object({
        /** argv of the service, started by pgdrill (no shell); cwd is the config file's directory unless `cwd` says otherwise. */
        command: z.array(z.string().min(1)).min(1).optional(),
        /** Or: a service already running on loopback, pointed at the DATABASE_URL `pgdrill lab up --print-env` printed; pgdrill neither starts nor stops it. */
        url: z
          .url({ protocol: /^https?$/ })
          .refine((u) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname), 'must be on loopback (127.0.0.1, localhost or [::1]): pgdrill puts load on loopback only')
          .optional(),
        cwd: z.string().min(1).optional(),
        env: z.record(z.string(), z.string()).optional(),
        ready: z.string().regex(/^\/\S*$/, 'must be a path starting with /').optional(),
        readyTimeoutMs: z.number().int().positive().max(600_000).optional(),
        stopGraceMs: z.number().int().min(0).max(120_000).optional(),
        write: template('POST'),
        read: template('GET'),
      })
      .strict()
      .refine((s) => (s.command ? !s.url : !!s.url), { message: 'give `command` (pgdrill starts the service) or `url` (a service already running), one of them', path: ['command'] })
      .refine((s) => !(s.url && (s.env || s.cwd || s.stopGraceMs !== undefined)), { message: '`env`, `cwd` and `stopGraceMs` apply to a service pgdrill starts (`command`), not to `url`', path: ['url'] }),
    /** Where acknowledged writes must be found after recovery: a table (optionally schema-qualified) and the column holding the write's id. */
    ledger: z.object({ table: z.string().regex(/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/, 'must be a lower-case table name, optionally schema.table'), idColumn: identifier }).strict(),
  })
  .strict()
  .refine((s) => s.schema || s.migrate, { message: 'give `schema` (SQL files applied in order) or `migrate` (a command that builds the schema)', path: ['schema'] })
  .refine((s) => (s.ownerRole ?? `${s.database}_owner`) !== (s.serviceRole?.name ?? `${s.database}_service`), { message: 'the service role must not be the owner role: the service connects with least privilege', path: ['serviceRole', 'name'] });

const ConfigSchema = z
  .object({
    /** The system under drill: the team's database, schema, service and ledger; default: the sample payments service. */
    system: SystemSchema.optional(),
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
    /** Images of the Docker target (`--target docker`); flags and PGDRILL_POSTGRES_IMAGE / PGDRILL_TOXIPROXY_IMAGE override them. */
    docker: z.object({ postgresImage: z.string().min(1).optional(), toxiproxyImage: z.string().min(1).optional() }).strict().optional(),
  })
  .strict();

/**
 * A pgdrill configuration: the system under drill (the team's database,
 * schema, service and ledger table; see `systemUnderDrill`), objectives per
 * scenario (overriding the seed's table), which scenarios `ci` runs, the
 * regression tolerance, and the drill's hold and load. Durations in
 * milliseconds.
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
  const system = parsed.data.system;
  for (const file of system?.schema ?? []) {
    const schemaFile = path.resolve(path.dirname(full), file);
    if (!existsSync(schemaFile)) throw new UserError(`The config file ${full} names a schema file that does not exist: ${file} (looked for ${schemaFile}).`, 'Schema paths are relative to the config file; fix the path or remove it from `system.schema`.');
  }
  const cwd = system?.service.cwd ? path.resolve(path.dirname(full), system.service.cwd) : undefined;
  if (cwd && !existsSync(cwd)) throw new UserError(`The config file ${full} gives the service a working directory that does not exist: ${cwd}.`, 'Fix `system.service.cwd` (relative to the config file), or leave it out to use the config file\'s directory.');
  const unknown = [...Object.keys(parsed.data.objectives ?? {}), ...(parsed.data.scenarios ?? [])].filter((id) => !knownScenarios.includes(id));
  if (unknown.length) {
    throw new UserError(`The config file ${full} names scenarios that do not exist: ${[...new Set(unknown)].join(', ')}.`, `Known scenarios: ${knownScenarios.join(', ')}.`);
  }
  return parsed.data;
}

/** A run's configuration: the file it came from (none: defaults) and what it says. */
export interface RunConfig {
  file: string | undefined;
  config: PgdrillConfig;
  /** The directory relative paths in the config resolve against (the config file's, else the working directory). */
  dir: string;
}

/** Loads `--config FILE`, else `pgdrill.config.ts` in the working directory when present, else an empty config. */
export async function loadRunConfig(flag: string | undefined, knownScenarios: readonly string[]): Promise<RunConfig> {
  const file = flag ?? defaultConfigFile();
  if (!file) return { file: undefined, config: {}, dir: process.cwd() };
  const full = path.resolve(file);
  return { file: full, config: await loadConfig(full, knownScenarios), dir: path.dirname(full) };
}
