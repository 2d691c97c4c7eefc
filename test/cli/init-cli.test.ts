import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { databaseNameFor, guessConfig } from '../../src/config/init-config.ts';
import { systemUnderDrill } from '../../src/system/system.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

function repository(files: Record<string, string>): string {
  const dir = tempDir('init');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'pgdrill'));
  return dir;
}

describe('pgdrill init', () => {
  it('writes a config from the start script and the db/ folder that pgdrill then loads, and refuses to overwrite it', async () => {
    const dir = repository({
      'package.json': JSON.stringify({ name: '@acme/orders-api', scripts: { start: 'node dist/server.js' } }),
      'db/001_schema.sql': 'CREATE TABLE items (id uuid PRIMARY KEY);\n',
      'db/002_seed.sql': '\n',
    });
    const run = await runCli(['init'], {}, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Wrote ${path.join(dir, 'pgdrill.config.ts')}.`);
    expect(run.stdout).toMatch(/service command: npm start \(package\.json: "node dist\/server\.js"\)/);
    expect(run.stdout).toMatch(/schema: 2 SQL file\(s\) under db\//);
    expect(run.stdout).toMatch(/Fill in:\n.*system\.service\.write and read[\s\S]*system\.ledger/);
    const file = path.join(dir, 'pgdrill.config.ts');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain("schema: ['db/001_schema.sql', 'db/002_seed.sql']");
    const system = systemUnderDrill(await loadConfig(file, ['connection-loss']), dir);
    expect(system).toMatchObject({ database: 'orders_api_db', ownerRole: 'orders_api_db_owner', service: { command: ['npm', 'start'], cwd: dir }, ledger: { table: 'items', idColumn: 'id' } });

    const again = await runCli(['init'], {}, dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/pgdrill\.config\.ts already exists\.[\s\S]*pgdrill init --force/);
    expect((await runCli(['init', '--force'], {}, dir)).code).toBe(0);
  });

  it('guesses prisma migrate for a prisma/ folder, migrations/ SQL files, and marks what it cannot know', () => {
    expect(guessConfig(repository({ 'prisma/schema.prisma': '' })).text).toContain("migrate: ['npx', 'prisma', 'migrate', 'deploy']");
    const migrations = guessConfig(repository({ 'migrations/2_add.sql': '', 'migrations/1_init.sql': '' }));
    expect(migrations.text).toContain("schema: ['migrations/1_init.sql', 'migrations/2_add.sql']");
    expect(migrations.todo.join('\n')).toMatch(/system\.service\.command/);
    const bare = guessConfig(repository({}));
    expect(bare.text).toContain("schema: ['db/schema.sql'],   // TODO");
    expect(bare.todo.join('\n')).toMatch(/system\.schema \(SQL files\) or system\.migrate/);
    expect(databaseNameFor('My-Service 2')).toBe('my_service_2_db');
    expect(databaseNameFor('2fa')).toBe('_2fa_db');
    expect(databaseNameFor('orders_db')).toBe('orders_db');
  });
});
