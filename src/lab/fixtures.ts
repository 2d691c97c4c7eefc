import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PACKAGE_ROOT } from '../util/package-root.ts';
import { SERVICE_DATABASES } from '../core/target.ts';
import type { PgCluster } from './cluster.ts';

/** The repository's fixtures directory (SQL schemas and seed data). */
export const FIXTURES_DIR = path.join(PACKAGE_ROOT, 'fixtures');

/**
 * A value for psql's `\set` meta-command (psql's own quoting, not SQL's:
 * backslash and quote are backslash-escaped). The fixtures are psql scripts
 * so that a team can also load them by hand; their passwords arrive this
 * way, on stdin, never on a command line.
 */
function psqlSetValue(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fixtureScript(file: string): string {
  return readFileSync(path.join(FIXTURES_DIR, file), 'utf8');
}

/**
 * Loads the seed: the four least-privilege service roles (`fixtures/roles.sql`,
 * passwords fed through psql variables on stdin, never on a command line),
 * then each service database created and loaded from `fixtures/<db>.sql`.
 * Runs as the cluster's superuser, once per lab (embedded or in a container).
 */
export async function loadFixtures(lab: Pick<PgCluster, 'rolePasswords' | 'psql' | 'query'>): Promise<void> {
  const passwords = lab.rolePasswords();
  const vars = Object.entries(passwords)
    .map(([role, password]) => `\\set ${role}_password ${psqlSetValue(password)}`)
    .join('\n');
  await lab.psql('postgres', `${vars}\n${fixtureScript('roles.sql')}\n`);
  for (const { database } of Object.values(SERVICE_DATABASES)) {
    await lab.query('postgres', `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    await lab.query('postgres', `CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    await lab.psql(database, `${vars}\n${fixtureScript(`${database}.sql`)}\n`);
  }
}
