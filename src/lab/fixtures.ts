import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_DATABASES } from '../core/target.ts';
import type { Lab } from './lab.ts';

/** The repository's fixtures directory (SQL schemas and seed data). */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

function psqlQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Loads the seed: the four least-privilege service roles (`fixtures/roles.sql`,
 * passwords fed through psql variables on stdin, never on a command line),
 * then each service database created and loaded from `fixtures/<db>.sql`.
 * Runs as the lab's superuser, once per lab.
 */
export async function loadFixtures(lab: Lab): Promise<void> {
  const passwords = lab.rolePasswords();
  const vars = Object.entries(passwords)
    .map(([role, password]) => `\\set ${role}_password ${psqlQuote(password)}`)
    .join('\n');
  await lab.psql('postgres', `${vars}\n\\i ${psqlQuote(path.join(FIXTURES_DIR, 'roles.sql'))}\n`);
  for (const { database } of Object.values(SERVICE_DATABASES)) {
    const exists = (await lab.psql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${database}'`)).trim() === '1';
    if (exists) await lab.psql('postgres', `DROP DATABASE ${database} WITH (FORCE)`);
    await lab.psql('postgres', `CREATE DATABASE ${database}`);
    await lab.psql(database, `${vars}\n\\i ${psqlQuote(path.join(FIXTURES_DIR, `${database}.sql`))}\n`);
  }
}
