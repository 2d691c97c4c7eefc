import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** What `pgdrill init` found in a repository, and the config text it writes. */
export interface InitGuess {
  /** The config file's text: a commented `pgdrill.config.ts`. */
  text: string;
  /** What was guessed, one line each (shown to the user). */
  guessed: string[];
  /** What the user must check or fill in, one line each. */
  todo: string[];
}

function readPackageJson(dir: string): { name?: string; scripts?: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; scripts?: Record<string, string> };
  } catch {
    return undefined;
  }
}

function sqlFiles(dir: string, sub: string): string[] {
  const full = path.join(dir, sub);
  if (!existsSync(full) || !statSync(full).isDirectory()) return [];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => `${sub}/${f.split(path.sep).join('/')}`);
}

/** A database name from a package or directory name: lower-case, `_` for anything else, ending in `_db`. */
export function databaseNameFor(name: string): string {
  const base = name.replace(/^@[^/]+\//, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/^(\d)/, '_$1').slice(0, 40) || 'app';
  return base.endsWith('_db') ? base : `${base}_db`;
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Looks at a repository (package.json's start script; SQL files under `db/`
 * or `migrations/`; a `prisma/` folder) and writes a commented config for
 * it, with what it could not know marked TODO. The text is a valid config
 * once the schema files it names exist.
 */
export function guessConfig(dir: string): InitGuess {
  const pkg = readPackageJson(dir);
  const guessed: string[] = [];
  const todo: string[] = [];
  const database = databaseNameFor(pkg?.name ?? path.basename(dir));
  guessed.push(`database ${database} (from ${pkg?.name ? 'package.json "name"' : 'the directory name'})`);

  let command: string[];
  if (pkg?.scripts?.start) {
    command = ['npm', 'start'];
    guessed.push(`service command: npm start (package.json: "${pkg.scripts.start}")`);
  } else {
    command = ['node', 'server.js'];
    todo.push('system.service.command: how to start the service (argv, no shell; run from this directory)');
  }

  let schemaLines: string;
  const dbFiles = sqlFiles(dir, 'db');
  const migrationFiles = sqlFiles(dir, 'migrations');
  if (existsSync(path.join(dir, 'prisma'))) {
    schemaLines = `    migrate: ['npx', 'prisma', 'migrate', 'deploy'],   // run with DATABASE_URL as the database owner`;
    guessed.push('schema: prisma migrate deploy (a prisma/ folder)');
  } else if (dbFiles.length + migrationFiles.length > 0) {
    const files = dbFiles.length ? dbFiles : migrationFiles;
    schemaLines = `    schema: [${files.map(q).join(', ')}],   // applied in this order, as the database owner\n    // migrate: ['npm', 'run', 'migrate'],   // or a command run with DATABASE_URL (the owner role)`;
    guessed.push(`schema: ${files.length} SQL file(s) under ${dbFiles.length ? 'db/' : 'migrations/'} (check the order)`);
  } else {
    schemaLines = `    schema: ['db/schema.sql'],   // TODO: SQL files applied in order, as the database owner\n    // migrate: ['npm', 'run', 'migrate'],   // or a command run with DATABASE_URL (the owner role)`;
    todo.push('system.schema (SQL files) or system.migrate (a command): how to build the database from nothing');
  }
  todo.push('system.service.write and read: the request that creates a record with the id {{id}}, and the one that reads it back');
  todo.push('system.ledger: the table (and its id column) where that record must be found after recovery');

  const text = `// pgdrill.config.ts: the system pgdrill drills (written by \`pgdrill init\`; see the README's "Drill your own service").
// Check each line, fill in the TODOs, then run \`npx pgdrill drill connection-loss\`.
import { defineConfig } from 'pgdrill';

export default defineConfig({
  system: {
    database: ${q(database)},   // created in the lab for every drill, owned by the role ${database}_owner
${schemaLines}
    serviceRole: { grants: ['SELECT', 'INSERT', 'UPDATE'] },   // the least-privilege role the service connects as (${database}_service)
    service: {
      command: [${command.map(q).join(', ')}],   // started by pgdrill from this directory, with DATABASE_URL and PORT
      env: {},   // extra environment for the service
      ready: '/health',   // polled until it answers 200 before the load starts
      // TODO: a write the service acknowledges with 2xx only once it is committed; {{id}} is a UUID pgdrill generates
      write: { method: 'POST', path: '/items', body: { id: '{{id}}' } },
      // TODO: reading that record back: 200 = present, 404 = missing
      read: { path: '/items/{{id}}' },
    },
    // TODO: the table where acknowledged writes must be found after recovery, and the column holding {{id}} (uuid or text)
    ledger: { table: 'items', idColumn: 'id' },
  },
  // objectives: { 'connection-loss': { rtoMs: 60_000, rpoMs: 0 } },   // overrides of the seed's objectives, per scenario
});
`;
  return { text, guessed, todo };
}
