import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { SAMPLE_SYSTEM, fillTemplate, systemApi, systemUnderDrill } from '../../src/system/system.ts';
import { tempDir } from '../helpers/test-lab.ts';

const SCENARIOS = ['connection-loss', 'service-crash'];

const SYSTEM = {
  database: 'orders_db',
  schema: ['db/schema.sql'],
  service: { command: ['node', 'server.mjs'], write: { method: 'POST', path: '/orders', body: { id: '{{id}}', amount: 12.5, tags: ['new-{{id}}'] } }, read: { path: '/orders/{{id}}' } },
  ledger: { table: 'orders', idColumn: 'id' },
};

function configFile(config: unknown, files: Record<string, string> = { 'db/schema.sql': 'CREATE TABLE orders (id uuid PRIMARY KEY);\n' }): string {
  const dir = tempDir('config');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'pgdrill.config.mjs');
  writeFileSync(file, `export default ${JSON.stringify(config)};\n`);
  return file;
}

async function problem(config: unknown, files?: Record<string, string>): Promise<string> {
  const error = await loadConfig(configFile(config, files), SCENARIOS).then(() => undefined, (e: unknown) => e);
  expect(error, 'the config should have been refused').toBeInstanceOf(Error);
  return (error as Error).message;
}

describe('system in pgdrill.config.ts', () => {
  it('without a system, the sample payments service is the system under drill', () => {
    expect(systemUnderDrill(undefined)).toBe(SAMPLE_SYSTEM);
    expect(systemUnderDrill({ objectives: {} })).toBe(SAMPLE_SYSTEM);
    expect(systemApi(SAMPLE_SYSTEM)).toBeUndefined();
  });

  it('resolves paths against the config file, names the roles after the database, and defaults to the seed grants', async () => {
    const file = configFile({ system: SYSTEM });
    const config = await loadConfig(file, SCENARIOS);
    const system = systemUnderDrill(config, path.dirname(file));
    expect(system).toMatchObject({
      kind: 'configured',
      database: 'orders_db',
      ownerRole: 'orders_db_owner',
      serviceRole: 'orders_db_service',
      grants: ['SELECT', 'INSERT', 'UPDATE'],
      schemaFiles: [path.join(path.dirname(file), 'db/schema.sql')],
      readyPath: '/health',
      ledger: { schema: 'public', table: 'orders', idColumn: 'id' },
      service: { command: ['node', 'server.mjs'], cwd: path.dirname(file), env: {}, stopGraceMs: 5000 },
    });
    const api = systemApi(system)!;
    expect(api.write('abc', 0)).toEqual({ method: 'POST', path: '/orders', body: JSON.stringify({ id: 'abc', amount: 12.5, tags: ['new-abc'] }) });
    expect(api.read('abc')).toEqual({ method: 'GET', path: '/orders/abc' });
    expect([200, 201, 204, 299].map(api.acknowledged)).toEqual([true, true, true, true]);
    expect([199, 301, 409, 500].map(api.acknowledged)).toEqual([false, false, false, false]);
    expect(fillTemplate({ a: ['{{id}}/{{id}}', 3, null] }, 'x')).toEqual({ a: ['x/x', 3, null] });
  });

  it('takes a service already running on loopback (service.url) instead of a command', async () => {
    const file = configFile({ system: { ...SYSTEM, service: { ...SYSTEM.service, command: undefined, url: 'http://localhost:3000/', readyTimeoutMs: 5000 } } });
    const system = systemUnderDrill(await loadConfig(file, SCENARIOS), path.dirname(file));
    expect(system.service).toBeUndefined();
    expect(system.external).toEqual({ url: 'http://localhost:3000', readyTimeoutMs: 5000 });
  });

  it('takes a schema-qualified ledger table, named roles and grants', async () => {
    const file = configFile({ system: { ...SYSTEM, ownerRole: 'app_owner', serviceRole: { name: 'app', grants: ['SELECT', 'INSERT'] }, ledger: { table: 'shop.orders', idColumn: 'order_id' } } });
    const system = systemUnderDrill(await loadConfig(file, SCENARIOS), path.dirname(file));
    expect(system).toMatchObject({ ownerRole: 'app_owner', serviceRole: 'app', grants: ['SELECT', 'INSERT'], ledger: { schema: 'shop', table: 'orders', idColumn: 'order_id' } });
  });

  it('refuses an unknown key, a missing schema file, no schema at all, a bad identifier, a bad template and a missing service cwd', async () => {
    expect(await problem({ system: { ...SYSTEM, servce: {} } })).toMatch(/is invalid: .*system.*servce/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, readyy: '/x' } } })).toMatch(/is invalid: .*readyy/);
    expect(await problem({ system: { ...SYSTEM, schema: ['db/schema.sql', 'db/missing.sql'] } })).toMatch(/names a schema file that does not exist: db\/missing\.sql \(looked for .*db\/missing\.sql\)/);
    expect(await problem({ system: { ...SYSTEM, schema: undefined } })).toMatch(/give `schema` \(SQL files applied in order\) or `migrate`/);
    expect(await problem({ system: { ...SYSTEM, database: 'Orders-DB' } })).toMatch(/system\.database.*lower-case SQL identifier/);
    expect(await problem({ system: { ...SYSTEM, database: 'payments_db' } })).toMatch(/system\.database: must not be one of the lab's own databases/);
    expect(await problem({ system: { ...SYSTEM, serviceRole: { name: 'pgdrill' } } })).toMatch(/system\.serviceRole\.name: must not be one of the lab's own roles/);
    expect(await problem({ system: { ...SYSTEM, ownerRole: 'app', serviceRole: { name: 'app' } } })).toMatch(/the service role must not be the owner role/);
    expect(await problem({ system: { ...SYSTEM, ownerRole: 'payments_service' } })).toMatch(/system\.ownerRole: must not be one of the lab's own roles/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, write: { path: 'orders' } } } })).toMatch(/system\.service\.write\.path.*must be a path starting with \//);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, cwd: 'no-such-dir' } } })).toMatch(/working directory that does not exist: .*no-such-dir/);
    expect(await problem({ system: { ...SYSTEM, ledger: { table: 'orders' } } })).toMatch(/system\.ledger\.idColumn/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, url: 'http://127.0.0.1:3000' } } })).toMatch(/give `command` \(pgdrill starts the service\) or `url` \(a service already running\), one of them/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, command: undefined } } })).toMatch(/give `command`.* or `url`/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, command: undefined, url: 'http://10.1.2.3:3000' } } })).toMatch(/system\.service\.url: must be on loopback/);
    expect(await problem({ system: { ...SYSTEM, service: { ...SYSTEM.service, command: undefined, url: 'http://127.0.0.1:3000', env: { A: 'b' } } } })).toMatch(/`env`, `cwd` and `stopGraceMs` apply to a service pgdrill starts/);
  });
});
