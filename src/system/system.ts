import path from 'node:path';
import type { PgdrillConfig } from '../config/config.ts';
import type { LoadApi, LoadRequest } from '../load/load-generator.ts';

/**
 * One HTTP request of the load, as a template: `{{id}}` in the path and in
 * any string of the body is replaced by the id pgdrill generated for the
 * request (a UUID).
 */
export interface RequestTemplate {
  method: string;
  path: string;
  body?: unknown;
}

/** The team's service as pgdrill starts it: a command run from `cwd`, given DATABASE_URL and PORT. */
export interface ServiceCommand {
  /** argv, no shell: `['node', 'dist/server.js']`. */
  command: string[];
  /** Working directory (absolute: the config file's directory unless the config says otherwise). */
  cwd: string;
  /** Extra environment, beside DATABASE_URL (through the fault proxy, as the service role) and PORT. */
  env: Record<string, string>;
  /** How long a SIGTERM'd service may take to exit before SIGKILL, ms. */
  stopGraceMs: number;
  /** How long the service may take to answer `ready` with 200 after it starts, ms. */
  readyTimeoutMs: number;
}

/**
 * The system a drill measures: a database in the lab, the least-privilege
 * role its service connects as, the service itself, the requests the load
 * sends and the table where acknowledged writes must be found after
 * recovery. `kind: 'sample'` is pgdrill's own payments service on the
 * seed's payments_db (the default); `kind: 'configured'` is the team's,
 * from `system` in pgdrill.config.ts. Other features (PgBouncer, `pgdrill
 * check`) read the database, roles and ledger from here.
 */
export interface SystemUnderDrill {
  kind: 'sample' | 'configured';
  /** A short name for messages and proxy names (the database name). */
  name: string;
  /** The database the service uses. */
  database: string;
  /** The role that owns the database and applies its schema (configured systems: created by pgdrill; the sample: the lab's superuser, which loads the fixtures). */
  ownerRole: string;
  /** The least-privilege role the service connects as. */
  serviceRole: string;
  /** Table privileges the service role is granted on every table of the database (and USAGE/SELECT on sequences). */
  grants: string[];
  /** SQL files applied in order, absolute paths (configured systems only). */
  schemaFiles: string[];
  /** A command run instead of (or after) the schema files, with DATABASE_URL as the owner role. */
  migrate?: { command: string[]; cwd: string };
  /** The service process pgdrill starts (undefined for the sample, which pgdrill forks itself, and for `external`). */
  service?: ServiceCommand;
  /**
   * A service already running, which pgdrill neither starts nor stops: its
   * base URL, and how long it may take to answer `readyPath` once the drill's
   * proxy listens. Its DATABASE_URL is the one `pgdrill lab up --print-env`
   * printed (a fixed proxy port of the lab).
   */
  external?: { url: string; readyTimeoutMs: number };
  /** Path polled until it answers 200 before the load starts; also the runbooks' health check. */
  readyPath: string;
  /** The write: a 2xx answer means acknowledged (committed). */
  write: RequestTemplate;
  /** The read of a written id: 200 = present, 404 = missing. */
  read: RequestTemplate;
  /** Where acknowledged writes must be found after recovery. */
  ledger: { schema: string; table: string; idColumn: string };
}

/** The seed's grants to a service role: read and write rows, never delete, truncate or change the schema. */
export const DEFAULT_SERVICE_GRANTS = ['SELECT', 'INSERT', 'UPDATE'];

/** pgdrill's own sample payments service on the seed's payments_db: the system measured when none is configured. */
export const SAMPLE_SYSTEM: SystemUnderDrill = {
  kind: 'sample',
  name: 'payments_db',
  database: 'payments_db',
  ownerRole: 'pgdrill',
  serviceRole: 'payments_service',
  grants: DEFAULT_SERVICE_GRANTS,
  schemaFiles: [],
  readyPath: '/health',
  write: { method: 'POST', path: '/payments', body: { id: '{{id}}' } },
  read: { method: 'GET', path: '/payments/{{id}}' },
  ledger: { schema: 'public', table: 'payments', idColumn: 'id' },
};

/**
 * The system under drill for a loaded config: its `system` section, with
 * paths resolved against `configDir` (the config file's directory), or the
 * sample payments service when the config has none (or there is no config).
 */
export function systemUnderDrill(config: PgdrillConfig | undefined, configDir = process.cwd()): SystemUnderDrill {
  const s = config?.system;
  if (!s) return SAMPLE_SYSTEM;
  const resolve = (p: string) => path.resolve(configDir, p);
  const cwd = resolve(s.service.cwd ?? '.');
  const [schema, table] = s.ledger.table.includes('.') ? (s.ledger.table.split('.', 2) as [string, string]) : ['public', s.ledger.table];
  return {
    kind: 'configured',
    name: s.database,
    database: s.database,
    ownerRole: s.ownerRole ?? `${s.database}_owner`,
    serviceRole: s.serviceRole?.name ?? `${s.database}_service`,
    grants: (s.serviceRole?.grants ?? DEFAULT_SERVICE_GRANTS).map((g) => g.toUpperCase()),
    schemaFiles: (s.schema ?? []).map(resolve),
    ...(s.migrate ? { migrate: { command: s.migrate, cwd: resolve('.') } } : {}),
    ...(s.service.command
      ? { service: { command: s.service.command, cwd, env: s.service.env ?? {}, stopGraceMs: s.service.stopGraceMs ?? 5000, readyTimeoutMs: s.service.readyTimeoutMs ?? 30_000 } }
      : { external: { url: s.service.url!.replace(/\/+$/, ''), readyTimeoutMs: s.service.readyTimeoutMs ?? 30_000 } }),
    readyPath: s.service.ready ?? '/health',
    write: { method: s.service.write.method ?? 'POST', path: s.service.write.path, ...(s.service.write.body === undefined ? {} : { body: s.service.write.body }) },
    read: { method: s.service.read.method ?? 'GET', path: s.service.read.path },
    ledger: { schema, table, idColumn: s.ledger.idColumn },
  };
}

/** Replaces `{{id}}` in every string of a JSON-like value. */
export function fillTemplate<T>(value: T, id: string): T {
  if (typeof value === 'string') return value.split('{{id}}').join(id) as T;
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, id)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, id)])) as T;
  return value;
}

function request(template: RequestTemplate, id: string): LoadRequest {
  const filled = fillTemplate(template, id);
  return { method: filled.method, path: filled.path, ...(filled.body === undefined ? {} : { body: JSON.stringify(filled.body) }) };
}

/**
 * The load's API for a configured system, from its request templates: a
 * write is acknowledged by any 2xx answer. Undefined for the sample system
 * (the load's own payments API, with seeded user ids).
 */
export function systemApi(system: SystemUnderDrill): LoadApi | undefined {
  if (system.kind === 'sample') return undefined;
  return {
    write: (id) => request(system.write, id),
    read: (id) => request(system.read, id),
    acknowledged: (status) => status >= 200 && status < 300,
  };
}
