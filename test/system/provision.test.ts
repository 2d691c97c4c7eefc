import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { provisionSystem } from '../../src/system/provision.ts';
import { systemUnderDrill, type SystemUnderDrill } from '../../src/system/system.ts';
import { queryOnce } from '../../src/util/query-once.ts';
import { repoRoot } from '../helpers/run-cli.ts';
import { startTestLab, tempDir } from '../helpers/test-lab.ts';

/** A configured system whose files live in a temporary directory. */
function system(files: Record<string, string>, extra: Record<string, unknown> = {}): SystemUnderDrill {
  const dir = tempDir('provision');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return systemUnderDrill(
    {
      system: {
        database: 'shop_db',
        schema: Object.keys(files).filter((f) => f.endsWith('.sql')),
        service: { command: ['true'], write: { path: '/orders' }, read: { path: '/orders/{{id}}' } },
        ledger: { table: 'orders', idColumn: 'id' },
        ...extra,
      } as never,
    },
    dir,
  );
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return (error as UserError).message;
}

describe('the configured system provisioned in a real lab', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('provision');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('creates the database owned by its own role, applies the files in order, and grants the service role only what the config says', async () => {
    const s = system(
      {
        'db/1-schema.sql': "CREATE SCHEMA shop;\nCREATE TABLE orders (id uuid PRIMARY KEY, amount numeric NOT NULL);\nCREATE TABLE shop.audit (n bigserial PRIMARY KEY, note text);\n",
        'db/2-seed.sql': "INSERT INTO orders VALUES ('00000000-0000-0000-0000-000000000001', 5);\n",
      },
      { serviceRole: { grants: ['SELECT', 'INSERT'] } },
    );
    const lines: string[] = [];
    const provisioned = await provisionSystem(env.lab, s, (l) => lines.push(l));
    expect(provisioned.idType).toBe('uuid');
    expect(lines.join('\n')).toMatch(/Applying 1-schema\.sql.*\n.*Applying 2-seed\.sql/);
    const [db] = await env.lab.query('postgres', "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'shop_db'");
    expect(db).toEqual({ owner: 'shop_db_owner' });
    const [t] = await env.lab.query('shop_db', "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'");
    expect(t).toEqual({ tableowner: 'shop_db_owner' });
    // As the service role: reads and inserts, on every schema; no delete, no DDL.
    const asService = (sql: string) => queryOnce({ connectionString: provisioned.serviceUrl() }, sql);
    expect(await asService('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 1 }]);
    await asService("INSERT INTO orders VALUES ('00000000-0000-0000-0000-000000000002', 7)");
    await asService("INSERT INTO shop.audit (note) VALUES ('sequence usable')");
    await expect(asService('DELETE FROM orders')).rejects.toMatchObject({ code: '42501' });
    await expect(asService('CREATE TABLE x (a int)')).rejects.toMatchObject({ code: '42501' });
    const [role] = await env.lab.query('postgres', "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'shop_db_service'");
    expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });
    // A second provisioning starts from an empty database again (each drill gets a fresh one).
    await provisionSystem(env.lab, s);
    expect(await env.lab.query('shop_db', 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 1 }]);
  });

  it('SQL that fails: the file, the line, PostgreSQL\'s message and hint; nothing of that file is applied', async () => {
    const s = system({ 'db/schema.sql': "CREATE TABLE orders (id uuid PRIMARY KEY);\n\n-- the seed's mistake:\nRENAME TABLE orders TO orders_old;\n" });
    const message = await refusal(provisionSystem(env.lab, s));
    expect(message).toMatch(/The schema of shop_db could not be applied: schema\.sql, line 4: ERROR: syntax error at or near "RENAME"/);
    expect(message).toContain(`file ${s.schemaFiles[0]}`);
    expect(await env.lab.query('shop_db', "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'orders'")).toEqual([{ n: 0 }]);
    const hinted = system({ 'db/schema.sql': 'CREATE TABLE orders (id uuid PRIMARY KEY);\nSELECT lenght(id::text) FROM orders;\n' });
    expect(await refusal(provisionSystem(env.lab, hinted))).toMatch(/schema\.sql, line 2: ERROR: function lenght\(text\) does not exist .*HINT: No function matches the given name and argument types/);
  });

  it('a ledger table or id column that does not exist, or an id column pgdrill cannot write ids into', async () => {
    expect(await refusal(provisionSystem(env.lab, system({ 'db/schema.sql': 'CREATE TABLE purchases (id uuid PRIMARY KEY);\n' })))).toMatch(
      /The ledger table public\.orders does not exist in shop_db after its schema was applied \(tables there: public\.purchases\)/,
    );
    expect(await refusal(provisionSystem(env.lab, system({ 'db/schema.sql': 'CREATE TABLE orders (order_id uuid PRIMARY KEY, amount int);\n' })))).toMatch(
      /The ledger table public\.orders has no column id \(its columns: order_id, amount\)/,
    );
    expect(await refusal(provisionSystem(env.lab, system({ 'db/schema.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n' })))).toMatch(/is bigint; pgdrill writes UUIDs as ids/);
  });

  it('runs a migrate command with DATABASE_URL as the owner role; a failing one shows its last lines, password masked', async () => {
    const migrate = `import pg from ${JSON.stringify(path.join(repoRoot, 'node_modules/pg/lib/index.js'))};
const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
await c.connect();
if (process.argv[2] === 'fail') { console.error('migrating with ' + process.env.DATABASE_URL); console.error('migration 002 failed'); process.exit(4); }
await c.query('CREATE TABLE orders (id text PRIMARY KEY)');
const { rows } = await c.query('SELECT current_user AS u');
console.log('migrated as ' + rows[0].u);
await c.end();
`;
    const ok = system({ 'migrate.mjs': migrate }, { schema: undefined, migrate: [process.execPath, 'migrate.mjs'] });
    const provisioned = await provisionSystem(env.lab, ok);
    expect(provisioned.idType).toBe('text');
    expect(await env.lab.query('shop_db', "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")).toEqual([{ tableowner: 'shop_db_owner' }]);
    const failing = system({ 'migrate.mjs': migrate }, { schema: undefined, migrate: [process.execPath, 'migrate.mjs', 'fail'] });
    const message = await refusal(provisionSystem(env.lab, failing));
    expect(message).toMatch(/The migration of shop_db \(`.* migrate\.mjs fail` in .*\) exited with code 4\.\nIts last lines:\nmigrating with postgres:\/\/shop_db_owner:\*\*\*@127\.0\.0\.1:\d+\/shop_db\nmigration 002 failed/);
  });
});
