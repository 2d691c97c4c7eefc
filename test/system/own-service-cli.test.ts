import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { spawn } from 'node:child_process';
import { freePort } from '../../src/lab/free-port.ts';
import { isAlive, processesMatching, tempDir } from '../helpers/test-lab.ts';

const ORDERS = path.join(repoRoot, 'examples/orders-service/pgdrill.config.ts');
const FIRE_AND_FORGET = path.join(repoRoot, 'examples/fire-and-forget/pgdrill.config.ts');

/** The pid of the team's service, as the drill log names it. */
function servicePids(stderr: string): number[] {
  const pids = [...stderr.matchAll(/Service at http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  expect(pids.length, 'the drill log names the service pid').toBeGreaterThan(0);
  return pids;
}

async function expectNothingLeft(dir: string, stderr: string): Promise<void> {
  expect(await processesMatching(dir)).toEqual([]);
  for (const pid of servicePids(stderr)) expect(isAlive(pid)).toBe(false);
  expect(await processesMatching('server.mjs')).toEqual([]);
}

describe('drilling a team\'s own service (examples/, real PostgreSQL, real processes, real HTTP)', () => {
  it('orders-service: connection-loss passes with its config objective; its database, role and log are its own; no password printed', async () => {
    const dir = tempDir('own-orders');
    const json = path.join(dir, 'r.json');
    const run = await runCli(['drill', 'connection-loss', '--config', ORDERS, '--hold', '2s', '--json', json], {}, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/config: .*orders-service\/pgdrill\.config\.ts \(system under drill: orders_db, ledger public\.orders\)/);
    expect(run.stderr).toMatch(/Applying schema\.sql to orders_db[\s\S]*Applying seed\.sql to orders_db/);
    expect(run.stderr).toMatch(/it reaches orders_db as orders_db_service through 127\.0\.0\.1:\d+/);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result).toMatchObject({ scenario: 'connection-loss', status: 'passed', lostWrites: 0, objectives: { rtoMs: 30_000, rpoMs: 0 } });
    expect(result.ackedWrites).toBeGreaterThan(100);
    expect(result.failedRequests).toBeGreaterThan(0);
    const log = readFileSync(path.join(dir, '.pgdrill/logs/connection-loss-service.log'), 'utf8');
    expect(log).toMatch(/orders-service listening on \d+/);
    expect(`${run.stdout}${run.stderr}${log}`).not.toMatch(/postgres:\/\/[^:\s]+:(?!\*\*\*)[^@\s]+@/);
    await expectNothingLeft(dir, run.stderr);
  });

  it('fire-and-forget: connection-loss reports lost acknowledged writes and exits 2; ci shows the breach in JUnit', async () => {
    const dir = tempDir('own-fire');
    const drill = await runCli(['drill', 'connection-loss', '--config', FIRE_AND_FORGET, '-q'], {}, dir);
    expect(drill.code, drill.stderr).toBe(2);
    expect(drill.stdout).toMatch(/lost acknowledged writes\s+│ 0\s+│ [1-9]\d* of \d+/);
    expect(drill.stdout).toMatch(/verdict: BREACHED/);
    expect(readFileSync(path.join(dir, '.pgdrill/logs/connection-loss-service.log'), 'utf8')).toMatch(/dropped a batch of \d+ orders/);

    const junit = path.join(dir, 'j.xml');
    const json = path.join(dir, 'r.json');
    const ci = await runCli(['ci', 'connection-loss', '--config', FIRE_AND_FORGET, '--junit', junit, '--json', json, '--no-history'], {}, dir);
    expect(ci.code, ci.stderr).toBe(2);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testcase classname="pgdrill" name="connection-loss"[^>]*>\n\s*<failure message="breached: RTO [^"]*, [1-9]\d* acknowledged write\(s\) lost over/);
    expect(xml).toMatch(/tests="1" failures="1" errors="0" skipped="0"/);
    const results = JSON.parse(readFileSync(json, 'utf8'));
    expect(results.map((r: { status: string }) => r.status)).toEqual(['breached']);
    expect(await processesMatching(dir)).toEqual([]);
    expect(await processesMatching('server.mjs')).toEqual([]);
  });

  it('orders-service: the service is crashed and restarted by the runbook, and the accidental DELETE of its ledger table is recovered by PITR', async () => {
    const dir = tempDir('own-crash');
    const json = path.join(dir, 'r.json');
    const run = await runCli(['drill', 'service-crash', 'accidental-deletion', '--config', ORDERS, '--hold', '1s', '--json', json], {}, dir);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8'));
    expect(results.map((r: { scenario: string; status: string }) => `${r.scenario}=${r.status}`)).toEqual(['service-crash=passed', 'accidental-deletion=passed']);
    const [crash, deletion] = results;
    expect(crash.fault.evidence).toMatch(/killed service pid \d+/);
    expect(crash.lostWrites).toBe(0);
    expect(crash.failedRequests).toBeGreaterThan(0);
    expect(deletion.fault.evidence).toMatch(/deleted [1-9]\d* rows from orders_db\.orders/);
    expect(deletion.lostWrites).toBe(0);
    expect(deletion.steps.every((s: { status: string }) => s.status === 'done')).toBe(true);
    const log = readFileSync(path.join(dir, '.pgdrill/logs/service-crash-service.log'), 'utf8');
    expect(log.match(/pgdrill: starting `node server\.mjs`/g)).toHaveLength(2);
    expect(existsSync(path.join(dir, '.pgdrill/runs'))).toBe(false);
    expect(await processesMatching(dir)).toEqual([]);
    expect(await processesMatching('server.mjs')).toEqual([]);
  });

  it('orders-service: a page of its orders table corrupted on disk is repaired from the backup and the WAL archive', async () => {
    const dir = tempDir('own-corruption');
    const json = path.join(dir, 'r.json');
    const run = await runCli(['drill', 'table-corruption', '--config', ORDERS, '--json', json], {}, dir);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // The team's table, grown by copying its own rows, damaged and repaired: not the sample's payments.
    expect(run.stderr).toMatch(/orders_db\.public\.orders holds \d+ MB \(\d+ rows\)/);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { status: string; failedRequests: number; lostWrites: number; fault: { evidence?: string }; steps: Array<{ id: string; status: string }> };
    expect(result.status).toBe('passed');
    expect(result.fault.evidence).toMatch(/of orders_db\.orders .*a read now fails: .*invalid page/);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.lostWrites).toBe(0);
    expect(result.steps.map((st) => `${st.id}=${st.status}`)).toContain('repair-table=done');
    expect(await processesMatching(dir)).toEqual([]);
  });

  it('orders-service under ci: connection exhaustion, slow queries, a failover and a lost database all pass, in JUnit', async () => {
    const dir = tempDir('own-ci');
    const junit = path.join(dir, 'j.xml');
    const json = path.join(dir, 'r.json');
    const run = await runCli(['ci', 'connection-exhaustion', 'slow-query', 'primary-failover', 'database-lost', '--config', ORDERS, '--junit', junit, '--json', json, '--no-history'], {}, dir);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8')) as Array<{ scenario: string; status: string; failedRequests: number; lostWrites: number; ackedWrites: number; rpoMs: number | null }>;
    expect(results.map((r) => `${r.scenario}=${r.status}`)).toEqual(['connection-exhaustion=passed', 'slow-query=passed', 'primary-failover=passed', 'database-lost=passed']);
    // Each fault reached the team's service (it was not a drill of nothing).
    for (const r of results) expect(r.failedRequests, r.scenario).toBeGreaterThan(0);
    // No acknowledged write may be lost to a pool or a slow query. The asynchronous replica may miss the last commits the
    // killed primary acknowledged (the seed's RPO for a failover is seconds: 5 s), and the lost database's objective is hours.
    for (const r of results.filter((x) => x.scenario === 'connection-exhaustion' || x.scenario === 'slow-query')) expect(r.lostWrites, r.scenario).toBe(0);
    const failover = results.find((r) => r.scenario === 'primary-failover')!;
    expect(failover.lostWrites).toBeLessThan(failover.ackedWrites);
    if (failover.lostWrites > 0) expect(failover.rpoMs).toBeLessThanOrEqual(5000);
    expect(readFileSync(junit, 'utf8')).toMatch(/tests="4" failures="0" errors="0" skipped="0"/);
    expect(await processesMatching(dir)).toEqual([]);
    expect(await processesMatching('server.mjs')).toEqual([]);
  });

  describe('a system that is wrong is refused before any fault, exit 1, with what to fix', () => {
    /** A project with its own schema and a plain Node service (no pg): the config is the only thing pgdrill knows. */
    function project(service: string, schema = 'CREATE TABLE orders (id uuid PRIMARY KEY);\n'): { dir: string; config: string } {
      const dir = tempDir('own-bad');
      mkdirSync(path.join(dir, 'db'));
      writeFileSync(path.join(dir, 'db/schema.sql'), schema);
      writeFileSync(path.join(dir, 'fixture-service.mjs'), service);
      const config = path.join(dir, 'pgdrill.config.mjs');
      writeFileSync(config, `export default ${JSON.stringify({
        system: {
          database: 'bad_db',
          schema: ['db/schema.sql'],
          service: { command: [process.execPath, 'fixture-service.mjs'], readyTimeoutMs: 5000, write: { method: 'POST', path: '/orders', body: { id: '{{id}}' } }, read: { path: '/orders/{{id}}' } },
          ledger: { table: 'orders', idColumn: 'id' },
        },
        holdMs: 500,
      })};\n`);
      return { dir, config };
    }
    const HTTP = (writeStatus: number) => `import http from 'node:http';
http.createServer((req, res) => { req.resume(); res.writeHead(req.url === '/health' ? 200 : req.method === 'POST' ? ${writeStatus} : 404).end('{}'); }).listen(Number(process.env.PORT), '127.0.0.1');
`;

    async function refused(p: { dir: string; config: string }): Promise<string> {
      const run = await runCli(['drill', 'connection-loss', '--config', p.config, '-q'], {}, p.dir);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).not.toMatch(/a bug in pgdrill|\n\s+at /);
      expect(await processesMatching(p.dir)).toEqual([]);
      return run.stderr;
    }

    it('SQL that fails: the file, the line and PostgreSQL\'s message', async () => {
      const stderr = await refused(project(HTTP(201), 'CREATE TABLE orders (id uuid PRIMARY KEY);\nRENAME TABLE orders TO old_orders;\n'));
      expect(stderr).toMatch(/could not run: The schema of bad_db could not be applied: schema\.sql, line 2: ERROR: syntax error at or near "RENAME"/);
    });

    it('a service that exits at start: its last log lines', async () => {
      const stderr = await refused(project("console.error('reading settings');\nconsole.error('FATAL: missing SECRET_KEY');\nprocess.exit(2);\n"));
      expect(stderr).toMatch(/exited \(exit code 2\) before it answered GET \/health with 200\.\nIts last \d+ log lines \(all in .*\.pgdrill\/logs\/connection-loss-service\.log\):\n[\s\S]*reading settings\nFATAL: missing SECRET_KEY/);
    });

    it('a write that does not answer 2xx in the steady state: the request and its answer', async () => {
      const stderr = await refused(project(HTTP(500)));
      expect(stderr).toMatch(/The steady state does not hold before the fault: in the last of 3 warm-up windows of \d\.\d s, \d+ of \d+ requests succeeded within \d+ ms; e\.g\. a write answered 500 after \d+ ms \(POST \/orders\)\./);
    });
  });

  it('a service already running (service.url): lab up --print-env gives its DATABASE_URL, the drill goes through that port, never kills it, and skips service-crash', async () => {
    const dir = tempDir('own-url');
    const labDir = path.join(dir, 'lab');
    mkdirSync(path.join(dir, 'db'));
    for (const f of ['schema.sql', 'seed.sql']) writeFileSync(path.join(dir, 'db', f), readFileSync(path.join(repoRoot, 'examples/orders-service/db', f)));
    const port = await freePort();
    const config = path.join(dir, 'pgdrill.config.mjs');
    writeFileSync(config, `export default ${JSON.stringify({
      system: {
        database: 'running_db',
        schema: ['db/schema.sql', 'db/seed.sql'],
        service: { url: `http://127.0.0.1:${port}`, write: { method: 'POST', path: '/orders', body: { id: '{{id}}', amount: 3 } }, read: { path: '/orders/{{id}}' } },
        ledger: { table: 'orders', idColumn: 'id' },
      },
    })};\n`);
    const up = await runCli(['lab', 'up', '--print-env', '--config', config, '--lab-dir', labDir], {}, dir);
    expect(up.code, up.stderr).toBe(0);
    const databaseUrl = /^DATABASE_URL=(postgres:\/\/running_db_service:[^@\s]+@127\.0\.0\.1:\d+\/running_db)$/m.exec(up.stdout)?.[1];
    expect(databaseUrl, up.stdout).toBeDefined();
    expect(databaseUrl).not.toContain('***');
    const again = await runCli(['lab', 'up', '--print-env', '--config', config, '--lab-dir', labDir], {}, dir);
    expect(again.stdout).toContain(`DATABASE_URL=${databaseUrl}`);

    const service = spawn(process.execPath, ['server.mjs'], { cwd: path.join(repoRoot, 'examples/orders-service'), env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'silent' }, stdio: 'ignore' });
    const exited = new Promise((r) => service.once('exit', r));
    try {
      const json = path.join(dir, 'r.json');
      const drill = await runCli(['drill', 'connection-loss', '--config', config, '--lab-dir', labDir, '--hold', '1s', '--json', json], {}, dir);
      expect(drill.code, drill.stderr).toBe(0);
      expect(drill.stderr).toMatch(/Service at http:\/\/127\.0\.0\.1:\d+ \(not started by pgdrill\)/);
      expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ status: 'passed', lostWrites: 0 });
      expect(isAlive(service.pid!)).toBe(true);
      const crash = await runCli(['drill', 'service-crash', '--config', config, '--lab-dir', labDir], {}, dir);
      expect(crash.code).toBe(1);
      expect(crash.stdout).toMatch(/verdict: SKIPPED/);
      expect(crash.stdout).toMatch(/pgdrill does not run the service at http:\/\/127\.0\.0\.1:\d+ \(system\.service\.url\), so it cannot crash and restart it/);
      // In CI the same scenario is a skipped test case, never a pass.
      const junit = path.join(dir, 'skipped.xml');
      const ci = await runCli(['ci', 'service-crash', '--config', config, '--junit', junit, '--no-history'], {}, dir);
      expect(ci.code, ci.stderr).toBe(1);
      expect(ci.stderr).toMatch(/\[1\/1\] service-crash SKIPPED: The scenario "service-crash" does not apply to running_db/);
      expect(readFileSync(junit, 'utf8')).toMatch(/<testcase classname="pgdrill" name="service-crash"[^>]*>\n\s*<skipped message="The scenario &quot;service-crash&quot; does not apply/);
      expect(readFileSync(junit, 'utf8')).toMatch(/tests="1" failures="0" errors="0" skipped="1"/);
      expect(isAlive(service.pid!)).toBe(true);
      // The operator's runbook, given the config, looks for the accident on the team's table, not the sample's.
      const guide = await runCli(['guide', 'accidental-deletion', '--config', config, '--lab-dir', labDir, '--yes', '--journal', path.join(dir, 'j.jsonl')], {}, dir);
      expect(`${guide.stdout}${guide.stderr}`).toContain('running_db.public.orders exists: looking for the DELETE');
    } finally {
      service.kill('SIGTERM');
      await exited;
      expect((await runCli(['lab', 'down', '--lab-dir', labDir], {}, dir)).code).toBe(0);
    }
  });
});
