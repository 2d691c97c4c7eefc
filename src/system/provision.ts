import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../lab/free-port.ts';
import pg from 'pg';
import { CommandError, UserError } from '../core/errors.ts';
import type { Endpoint } from '../core/target.ts';
import type { PgCluster } from '../lab/cluster.ts';
import type { PgBinaries } from '../lab/pg-binaries.ts';

/** What provisioning needs of a lab (embedded or in containers): its cluster, directory and client programs. */
export type ProvisionLab = Pick<PgCluster, 'query' | 'clientEnv' | 'serviceUrl' | 'endpoint'> & { readonly labDir: string; pg(): PgBinaries };
import { redact, registerSecret } from '../util/redact.ts';
import { runCommand } from '../util/run-command.ts';
import type { SystemUnderDrill } from './system.ts';

/** The system's database as provisioned in the lab: how its service connects, and the ledger's id type. */
export interface ProvisionedSystem {
  system: SystemUnderDrill;
  /** The service role's URL to the system's database, through `via` (the fault proxy) when given. Carries a password: never print it unredacted. */
  serviceUrl(via?: Endpoint): string;
  /** The SQL type of the ledger's id column (e.g. `uuid`, `text`), to compare ids without defeating its index. */
  idType: string;
  /** The fixed proxy port of a kept system (the one its DATABASE_URL names), when it has one. */
  proxyPort?: number;
}

/** What a kept system's provisioning recorded in the lab directory (mode 0600: it holds passwords). */
interface KeptSystem {
  database: string;
  ownerRole: string;
  serviceRole: string;
  ownerPassword: string;
  servicePassword: string;
  proxyPort: number;
}

/** Where the lab keeps a system's roles' passwords and its fixed proxy port. */
export function keptSystemFile(lab: ProvisionLab, database: string): string {
  return path.join(lab.labDir, `system-${database}.json`);
}

function readKept(lab: ProvisionLab, system: SystemUnderDrill): KeptSystem | undefined {
  const file = keptSystemFile(lab, system.database);
  if (!existsSync(file)) return undefined;
  const kept = JSON.parse(readFileSync(file, 'utf8')) as KeptSystem;
  if (kept.ownerRole !== system.ownerRole || kept.serviceRole !== system.serviceRole) return undefined;
  registerSecret(kept.ownerPassword);
  registerSecret(kept.servicePassword);
  return kept;
}

function writeKept(lab: ProvisionLab, kept: KeptSystem): void {
  const file = keptSystemFile(lab, kept.database);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * How a system is provisioned: `fresh` (a drill of a service pgdrill
 * starts: the database recreated, passwords new), `keep` (`lab up
 * --print-env`: an existing kept system is reused as it is, else created
 * and its passwords and a fixed proxy port recorded in the lab directory),
 * `reuse` (a drill of a service already running: the kept system must
 * exist, since that service holds its DATABASE_URL).
 */
export type ProvisionMode = 'fresh' | 'keep' | 'reuse';

const q = pg.escapeIdentifier;

function url(role: string, password: string, at: Endpoint, database: string): string {
  return `postgres://${role}:${encodeURIComponent(password)}@${at.host}:${at.port}/${database}`;
}

/** `psql:/path/to/schema.sql:7: ERROR:  ...` → line 7 and the messages after it (ERROR, DETAIL, HINT, LINE). */
function describePsqlFailure(file: string, stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const first = lines.findIndex((l) => /\b(ERROR|FATAL):/.test(l));
  const at = first >= 0 ? /^psql:.*?:(\d+):/.exec(lines[first]!) : null;
  const messages = (first >= 0 ? lines.slice(first) : lines)
    .map((l) => l.replace(/^psql:.*?:\d+:\s*/, '').replace(/\s+/g, ' ').trim())
    .filter((l) => !/^(LINE \d+:|\^)/.test(l));
  return `${path.basename(file)}${at ? `, line ${at[1]}` : ''}: ${messages.join(' ')}`;
}

async function applySchemaFile(lab: ProvisionLab, system: SystemUnderDrill, file: string, ownerPassword: string): Promise<void> {
  const env = { ...lab.clientEnv(), PGUSER: system.ownerRole, PGPASSWORD: ownerPassword, PGDATABASE: system.database };
  try {
    await runCommand(lab.pg().bin('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', file], { env, cwd: path.dirname(file), timeoutMs: 10 * 60_000 });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new UserError(
      `The schema of ${system.database} could not be applied: ${redact(describePsqlFailure(file, error.stderrTail))} (file ${file}; applied as role ${system.ownerRole}, in one transaction).`,
      'Fix the SQL file (it must run on an empty database owned by that role, with psql -v ON_ERROR_STOP=1), then run the drill again.',
    );
  }
}

async function runMigration(system: SystemUnderDrill, ownerUrl: string): Promise<void> {
  const [file, ...args] = system.migrate!.command;
  try {
    await runCommand(file!, args, { cwd: system.migrate!.cwd, env: { ...process.env, DATABASE_URL: ownerUrl }, timeoutMs: 10 * 60_000 });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const how = error.exitCode === null ? (error.signal ? `was killed by ${error.signal}` : `could not be started (${error.stderrTail.trim()})`) : `exited with code ${error.exitCode}`;
    const tail = error.stderrTail.trim().split('\n').slice(-20).join('\n');
    throw new UserError(
      `The migration of ${system.database} (\`${system.migrate!.command.join(' ')}\` in ${system.migrate!.cwd}) ${how}.${tail && error.exitCode !== null ? `\nIts last lines:\n${redact(tail)}` : ''}`,
      'Fix the migration (it runs with DATABASE_URL set to the database owner role on an empty database), then run the drill again.',
    );
  }
}

/**
 * Creates the system's database in the lab and makes it ready for a drill:
 * the owner role (created, or its password reset), the database dropped if
 * present and created owned by it, the schema files applied in order as the
 * owner (each in one transaction; a failure names the file, the line and
 * PostgreSQL's message and hint) or the migration command run with
 * DATABASE_URL as the owner, then the service role granted CONNECT, USAGE on
 * every schema and `grants` on every table (USAGE and SELECT on sequences),
 * and the ledger table and id column checked. Passwords are generated per
 * call, registered with `redact`, and never written anywhere. The sample
 * system needs none of this: the lab's fixtures hold it.
 */
export async function provisionSystem(lab: ProvisionLab, system: SystemUnderDrill, log: (line: string) => void = () => {}, mode: ProvisionMode = 'fresh'): Promise<ProvisionedSystem> {
  if (system.kind === 'sample') {
    return { system, serviceUrl: (via) => lab.serviceUrl('payments', via), idType: 'uuid' };
  }
  if (mode !== 'fresh') {
    const kept = readKept(lab, system);
    const exists = kept ? (await lab.query('postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [system.database])).length > 0 : false;
    if (kept && exists) {
      log(`Using ${system.database} as \`pgdrill lab up --print-env\` created it (the service connects as ${system.serviceRole} through port ${kept.proxyPort}).`);
      const idType = await checkLedger(lab, system);
      return { system, serviceUrl: (via) => url(system.serviceRole, kept.servicePassword, via ?? lab.endpoint, system.database), idType, proxyPort: kept.proxyPort };
    }
    if (mode === 'reuse') {
      throw new UserError(
        `The service at ${system.external?.url ?? 'its URL'} is one pgdrill does not start, and the lab has no ${system.database} made for it${kept ? ' any more' : ''}.`,
        'Run `pgdrill lab up --print-env` (with the same config), start the service with the DATABASE_URL it prints, then run the drill again.',
      );
    }
    const created = await createSystem(lab, system, log);
    const proxyPort = await freePort();
    writeKept(lab, { database: system.database, ownerRole: system.ownerRole, serviceRole: system.serviceRole, ownerPassword: created.ownerPassword, servicePassword: created.servicePassword, proxyPort });
    return { ...created.provisioned, proxyPort };
  }
  // A fresh system resets the roles' passwords: what a kept one recorded no longer holds.
  rmSync(keptSystemFile(lab, system.database), { force: true });
  return (await createSystem(lab, system, log)).provisioned;
}

/** Creates the roles and the database from nothing, applies the schema, grants, and checks the ledger. */
async function createSystem(lab: ProvisionLab, system: SystemUnderDrill, log: (line: string) => void): Promise<{ provisioned: ProvisionedSystem; ownerPassword: string; servicePassword: string }> {
  const ownerPassword = randomBytes(18).toString('base64url');
  const servicePassword = randomBytes(18).toString('base64url');
  registerSecret(ownerPassword);
  registerSecret(servicePassword);
  const lit = pg.escapeLiteral;
  log(`Creating ${system.database} in the lab, owned by ${system.ownerRole}; the service connects as ${system.serviceRole}.`);
  for (const [role, password] of [[system.ownerRole, ownerPassword], [system.serviceRole, servicePassword]] as const) {
    const exists = (await lab.query('postgres', 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;
    await lab.query('postgres', `${exists ? 'ALTER' : 'CREATE'} ROLE ${q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${lit(password)}`);
  }
  await lab.query('postgres', `DROP DATABASE IF EXISTS ${q(system.database)} WITH (FORCE)`);
  await lab.query('postgres', `CREATE DATABASE ${q(system.database)} OWNER ${q(system.ownerRole)}`);
  await lab.query(system.database, `REVOKE ALL ON DATABASE ${q(system.database)} FROM PUBLIC`);
  // PostgreSQL 15: only the database owner may create in schema public; the owner role owns the database, not the schema.
  await lab.query(system.database, `ALTER SCHEMA public OWNER TO ${q(system.ownerRole)}`);
  const ownerUrl = url(system.ownerRole, ownerPassword, lab.endpoint, system.database);
  for (const file of system.schemaFiles) {
    log(`Applying ${path.basename(file)} to ${system.database}.`);
    await applySchemaFile(lab, system, file, ownerPassword);
  }
  if (system.migrate) {
    log(`Running the migration: ${system.migrate.command.join(' ')}.`);
    await runMigration(system, ownerUrl);
  }

  const schemas = (await lab.query(system.database, "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1")).map((r) => String(r.nspname));
  const svc = q(system.serviceRole);
  const grants: string[] = [`GRANT CONNECT ON DATABASE ${q(system.database)} TO ${svc}`];
  for (const schema of schemas) {
    grants.push(
      `GRANT USAGE ON SCHEMA ${q(schema)} TO ${svc}`,
      `GRANT ${system.grants.join(', ')} ON ALL TABLES IN SCHEMA ${q(schema)} TO ${svc}`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${q(schema)} TO ${svc}`,
    );
  }
  await lab.query(system.database, grants.join(';\n'));
  const idType = await checkLedger(lab, system);
  const provisioned: ProvisionedSystem = { system, serviceUrl: (via) => url(system.serviceRole, servicePassword, via ?? lab.endpoint, system.database), idType };
  return { provisioned, ownerPassword, servicePassword };
}

/** The ledger table and id column exist, and the column can hold the UUIDs pgdrill writes: its SQL type. */
async function checkLedger(lab: ProvisionLab, system: SystemUnderDrill): Promise<string> {
  const { schema, table, idColumn } = system.ledger;
  const tableExists = (await lab.query(system.database, 'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ($3, $4)', [schema, table, 'r', 'p'])).length > 0;
  if (!tableExists) {
    const tables = (await lab.query(system.database, "SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1")).map((r) => String(r.t));
    throw new UserError(
      `The ledger table ${schema}.${table} does not exist in ${system.database} after its schema was applied (tables there: ${tables.join(', ') || 'none'}).`,
      'Set `system.ledger.table` to the table where the service stores each acknowledged write.',
    );
  }
  const columns = await lab.query(system.database, 'SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum', [schema, table]);
  const column = columns.find((c) => c.attname === idColumn);
  if (!column) {
    throw new UserError(
      `The ledger table ${schema}.${table} has no column ${idColumn} (its columns: ${columns.map((c) => String(c.attname)).join(', ')}).`,
      'Set `system.ledger.idColumn` to the column that holds the id the write request sends ({{id}}).',
    );
  }
  const idType = String(column.type);
  if (!/^(uuid|text|character varying(\(\d+\))?|character\(\d+\))$/.test(idType)) {
    throw new UserError(
      `The ledger column ${schema}.${table}.${idColumn} is ${idType}; pgdrill writes UUIDs as ids ({{id}}), so it must be uuid, text or varchar.`,
      'Point `system.ledger.idColumn` at the column holding the id the write request sends.',
    );
  }
  return idType;
}
