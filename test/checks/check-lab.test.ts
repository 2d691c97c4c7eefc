import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/check.ts';
import { CHECKS } from '../../src/checks/index.ts';
import { openCheckContext } from '../../src/checks/open-check-context.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { scenarioIds } from '../../src/engine/catalog.ts';
import { freePort } from '../../src/lab/free-port.ts';
import { Lab } from '../../src/lab/lab.ts';
import { runAsServer } from '../../src/lab/server-process.ts';
import { resolveServerUser } from '../../src/lab/server-user.ts';
import { findOnPath } from '../../src/util/find-on-path.ts';
import { runCli } from '../helpers/run-cli.ts';
import { removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/**
 * `pgdrill check` against a real lab brought up with --ssl, a backup taken
 * and verified by restore: the seed's ideal, where every check passes or
 * skips with a reason. Then each guarded thing is broken on the real
 * server, and exactly the checks that guard it fail, naming the fix; the
 * break is undone and the lab passes again before the next one.
 */
describe('pgdrill check on the lab', () => {
  let root = '';
  let labDir = '';
  let lab: Lab;
  let noHistory = '';
  let secrets: string[] = [];
  let beforeSsl: CheckResult | undefined;
  let pidBeforeSsl: number | undefined;

  beforeAll(async () => {
    root = tempDir('check');
    labDir = path.join(root, 'lab');
    noHistory = path.join(root, 'no-history.jsonl');
    lab = new Lab({ labDir });
    // First without SSL, as `lab up` makes it: the ssl check must fail there; then --ssl on the running lab restarts it with SSL.
    await lab.up('persistent');
    pidBeforeSsl = lab.postmasterPid();
    const { ctx, close } = await openCheckContext({ labDir, historyFile: noHistory });
    try {
      beforeSsl = (await runChecks(CHECKS.filter((c) => c.id === 'ssl'), ctx))[0];
    } finally {
      await close();
    }
    await lab.up('persistent', { ssl: true });
    const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8')) as { superuserPassword: string; servicePasswords: Record<string, string> };
    secrets = [state.superuserPassword, ...Object.values(state.servicePasswords)];
    for (const args of [['backup', 'run'], ['backup', 'verify']]) {
      const r = await runCli([...args, '--lab-dir', labDir], {}, root);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  }, 300_000);

  afterAll(async () => {
    await removeTempDirs();
  }, 120_000);

  async function checkAll(historyFile = noHistory): Promise<CheckResult[]> {
    const { ctx, close } = await openCheckContext({ labDir, historyFile });
    try {
      return await runChecks(CHECKS, ctx);
    } finally {
      await close();
    }
  }

  /** The result of check `id` (it must be there). */
  const byIdOf = (results: readonly CheckResult[]) => (id: string): CheckResult => {
    const r = results.find((x) => x.id === id);
    if (!r) throw new Error(`no result for ${id}`);
    return r;
  };

  /** Ids of the checks that did not pass or skip. */
  const flagged = (results: readonly CheckResult[]) => results.filter((r) => r.status === 'fail' || r.status === 'warn').map((r) => r.id).sort();

  /** Runs the checks until `ok` holds (a reload or a statistics flush takes a moment), at most 30 s. */
  async function checkUntil(ok: (results: CheckResult[]) => boolean, historyFile = noHistory): Promise<CheckResult[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const results = await checkAll(historyFile);
      if (ok(results) || Date.now() > deadline) return results;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  const sql = async (database: string, ...statements: string[]) => {
    for (const s of statements) await lab.query(database, s);
  };

  it('a fresh lab with SSL and a verified backup: every check passes or skips with a reason; JSON, JUnit and step summary; exit 0; no secret printed', async () => {
    const json = path.join(root, 'audit.json');
    const junit = path.join(root, 'audit.xml');
    const summary = path.join(root, 'summary.md');
    const r = await runCli(['check', '--lab-dir', labDir, '--history', noHistory, '--json', json, '--junit', junit], { GITHUB_STEP_SUMMARY: summary }, root);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(CHECKS.length + 1);
    for (const [i, check] of CHECKS.entries()) expect(lines[i]).toMatch(new RegExp(`^(pass|skip)\\s+${check.id}\\s+\\S`));
    expect(lines.at(-1)).toMatch(/^20 checks: \d+ pass, 0 warn, 0 fail, \d+ skip: PASS$/);

    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.status).toBe('pass');
    expect(report.checks.map((c: CheckResult) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const c of report.checks as CheckResult[]) {
      expect(Object.keys(c).sort()).toEqual(['expected', 'fix', 'found', 'group', 'id', 'seedSection', 'status', 'title']);
      expect(['pass', 'skip']).toContain(c.status);
      expect(c.found.length).toBeGreaterThan(5);
    }
    // What can only be skipped on a lab without a pooler, a replica or a drill history, each with its reason.
    const skipped = Object.fromEntries((report.checks as CheckResult[]).filter((c) => c.status === 'skip').map((c) => [c.id, c.found]));
    expect(skipped).toEqual({
      pooler: expect.stringMatching(/no pooler is configured/),
      'replication-lag': expect.stringMatching(/no standby streams from this server/),
      'drills-recent': expect.stringMatching(/no drill history at/),
    });
    const byId = byIdOf(report.checks as CheckResult[]);
    expect(byId('ssl').found).toMatch(/ssl = on; pg_hba.conf rejects non-SSL TCP connections of 4 service role/);
    expect(byId('backups-recent').found).toMatch(/newest verified backup \S+ is \d+ s old/);
    expect(byId('backup-restore-tested').found).toMatch(/last successful backup verify \d+ s ago/);

    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(CHECKS.length);
    expect(xml).toMatch(/tests="20" failures="0" errors="0" skipped="3"/);
    expect(xml).toMatch(/<testcase classname="pgdrill.check.connections" name="pooler" time="0">\n {4}<skipped message="no pooler is configured/);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^## pgdrill readiness: pass/);
    expect(md).toMatch(/\| least-privilege \| ✅ pass \|/);

    for (const text of [r.stdout, r.stderr, readFileSync(json, 'utf8'), xml, md]) for (const secret of secrets) expect(text).not.toContain(secret);
  }, 120_000);

  it('a lab without --ssl fails the ssl check, naming lab up --ssl; --ssl on the running lab restarts it with SSL', async () => {
    expect(beforeSsl).toMatchObject({ status: 'fail', found: 'ssl = off: connections are not encrypted', fix: expect.stringMatching(/on the lab: pgdrill lab up --ssl$/) });
    expect(pidBeforeSsl).toBeDefined();
    expect(lab.postmasterPid()).not.toBe(pidBeforeSsl);
    expect(lab.ssl).toBe(true);
    const status = await runCli(['lab', 'status', '--lab-dir', labDir], {}, root);
    expect(status.stdout).toMatch(/^PostgreSQL {6}\d+ on 127\.0\.0\.1:\d+, SSL on \(self-signed; the service roles must use it\)$/m);
  });

  it('never changes anything: every session the checks open is read-only', async () => {
    const { ctx, close } = await openCheckContext({ labDir, historyFile: noHistory });
    try {
      // The session refuses writes even when a statement reaches it inside a query...
      await expect(ctx.query('payments_db', 'WITH x AS (INSERT INTO payments (user_id, amount, currency, status) VALUES (gen_random_uuid(), 1, $$USD$$, $$pending$$) RETURNING id) SELECT * FROM x')).rejects.toThrow(/cannot execute SELECT in a read-only transaction/);
      // ...and anything but a query (ALTER SYSTEM is not stopped by read-only sessions) never leaves pgdrill.
      await expect(ctx.query(null, "ALTER SYSTEM SET work_mem = '8MB'")).rejects.toThrow(/a check ran a statement that is not a query/);
      await expect(ctx.query('payments_db', 'CREATE TABLE written_by_check (id int)')).rejects.toThrow(/not a query/);
      expect(await lab.query('postgres', "SELECT setting FROM pg_file_settings WHERE name = 'work_mem'")).toEqual([]);
      expect((await ctx.query(null, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"))[0]?.application_name).toBe('pgdrill check');
    } finally {
      await close();
    }
  });

  it('connections held up to the alert line: connection-headroom fails, and passes again once they are closed', async () => {
    const clients: pg.Client[] = [];
    try {
      // 75 idle sessions, plus the check's own few, cross 80% of the 97 usable connections.
      for (let i = 0; i < 75; i++) {
        const c = new pg.Client({ connectionString: lab.adminUrl('postgres'), application_name: 'check-test-hog' });
        c.on('error', () => {});
        clients.push(c);
      }
      await Promise.all(clients.map((c) => c.connect()));
      const results = await checkAll();
      expect(flagged(results)).toEqual(['connection-headroom']);
      expect(byIdOf(results)('connection-headroom').found).toMatch(/^(7[7-9]|8\d) of 97 usable connections in use/);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
    }
    expect(flagged(await checkUntil((rs) => flagged(rs).length === 0))).toEqual([]);
  }, 60_000);

  it('data checksums turned off (pg_checksums --disable on the stopped lab): data-checksums fails; turned on again, it passes', async () => {
    const user = resolveServerUser();
    const pgChecksums = lab.pg().bin('pg_checksums');
    await lab.down();
    await runAsServer(user, pgChecksums, ['--disable', '-D', lab.paths.dataDir]);
    try {
      await lab.up('persistent');
      const results = await checkAll();
      expect(flagged(results)).toEqual(['data-checksums']);
      expect(byIdOf(results)('data-checksums').fix).toMatch(/pg_checksums --enable/);
    } finally {
      await lab.down();
      await runAsServer(user, pgChecksums, ['--enable', '-D', lab.paths.dataDir]);
      await lab.up('persistent');
    }
    expect(flagged(await checkAll())).toEqual([]);
  }, 120_000);

  it('the lab with --ssl: the service roles are refused without SSL and accepted with it', async () => {
    const url = new URL(lab.serviceUrl('payments'));
    expect(url.searchParams.get('sslmode')).toBe('no-verify');
    const ok = new pg.Client({ connectionString: url.href });
    await ok.connect();
    try {
      expect((await ok.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl).toBe(true);
    } finally {
      await ok.end();
    }
    url.searchParams.delete('sslmode');
    const plain = new pg.Client({ connectionString: url.href, ssl: false });
    await expect(plain.connect()).rejects.toThrow(/pg_hba.conf rejects connection .*payments_service.*no encryption/);
    await plain.end().catch(() => {});
  });

  interface Break {
    /** Statements that break it (database, SQL), then those that undo it. */
    database: string;
    breakSql: string[];
    undoSql: string[];
    /** The checks that must flag it (fail, or warn for unused-indexes), and nothing else. */
    flags: string[];
    fix: RegExp;
  }

  const breaks: Record<string, Break> = {
    'GRANT DELETE to a service role': {
      database: 'payments_db', breakSql: ['GRANT DELETE ON payments TO payments_service'], undoSql: ['REVOKE DELETE ON payments FROM payments_service'],
      flags: ['least-privilege'], fix: /REVOKE DELETE ON "public"\."payments" FROM "payments_service";/,
    },
    'GRANT TRUNCATE to a service role': {
      database: 'auth_db', breakSql: ['GRANT TRUNCATE ON users TO auth_service'], undoSql: ['REVOKE TRUNCATE ON users FROM auth_service'],
      flags: ['least-privilege'], fix: /REVOKE TRUNCATE ON "public"\."users" FROM "auth_service";/,
    },
    'CREATE on schema public (DDL) for a service role': {
      database: 'profile_db', breakSql: ['GRANT CREATE ON SCHEMA public TO profile_service'], undoSql: ['REVOKE CREATE ON SCHEMA public FROM profile_service'],
      flags: ['least-privilege'], fix: /REVOKE CREATE ON SCHEMA "public" FROM "profile_service", PUBLIC;/,
    },
    'default privileges granting DELETE': {
      database: 'admin_db', breakSql: ['ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT DELETE ON TABLES TO admin_service'], undoSql: ['ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE DELETE ON TABLES FROM admin_service'],
      flags: ['least-privilege'], fix: /ALTER DEFAULT PRIVILEGES FOR ROLE "pgdrill" IN SCHEMA "public" REVOKE DELETE ON TABLES FROM "admin_service";/,
    },
    'a service role made superuser': {
      // A superuser holds every privilege, so least-privilege sees it too.
      database: 'postgres', breakSql: ['ALTER ROLE admin_service SUPERUSER'], undoSql: ['ALTER ROLE admin_service NOSUPERUSER'],
      flags: ['least-privilege', 'service-roles'], fix: /ALTER ROLE "admin_service" LOGIN NOSUPERUSER/,
    },
    'a service role owning its database': {
      database: 'postgres', breakSql: ['ALTER DATABASE auth_db OWNER TO auth_service'], undoSql: ['ALTER DATABASE auth_db OWNER TO pgdrill'],
      flags: ['least-privilege', 'service-roles'], fix: /ALTER DATABASE "auth_db" OWNER TO <an admin role>;/,
    },
    'ALTER ROLE ... SET statement_timeout = 0': {
      database: 'postgres', breakSql: ['ALTER ROLE payments_service SET statement_timeout = 0'], undoSql: ['ALTER ROLE payments_service RESET statement_timeout'],
      flags: ['statement-timeout'], fix: /ALTER ROLE "payments_service" SET statement_timeout = '30s';/,
    },
    'a database whose idle-in-transaction timeout is 10 min': {
      database: 'postgres', breakSql: ["ALTER DATABASE auth_db SET idle_in_transaction_session_timeout = '10min'"], undoSql: ['ALTER DATABASE auth_db RESET idle_in_transaction_session_timeout'],
      flags: ['idle-in-transaction-timeout'], fix: /ALTER DATABASE "auth_db" SET idle_in_transaction_session_timeout = '30s';/,
    },
    'ssl = off': {
      database: 'postgres', breakSql: ['ALTER SYSTEM SET ssl = off', 'SELECT pg_reload_conf()'], undoSql: ['ALTER SYSTEM RESET ssl', 'SELECT pg_reload_conf()'],
      flags: ['ssl'], fix: /ALTER SYSTEM SET ssl = on/,
    },
    'slow queries not logged': {
      database: 'postgres', breakSql: ['ALTER SYSTEM SET log_min_duration_statement = -1', 'SELECT pg_reload_conf()'], undoSql: ['ALTER SYSTEM RESET log_min_duration_statement', 'SELECT pg_reload_conf()'],
      flags: ['slow-query-log'], fix: /ALTER SYSTEM SET log_min_duration_statement = '1000ms'/,
    },
    'a recommended index dropped': {
      database: 'payments_db', breakSql: ['DROP INDEX payments_status_idx'], undoSql: ['CREATE INDEX payments_status_idx ON payments (status)'],
      flags: ['indexes'], fix: /CREATE INDEX CONCURRENTLY ON "payments" \("status"\); \(in payments_db\)/,
    },
    'a table left unanalysed': {
      database: 'profile_db',
      breakSql: ['CREATE TABLE visits (id int) WITH (autovacuum_enabled = false)', 'INSERT INTO visits SELECT generate_series(1, 500)'],
      undoSql: ['DROP TABLE visits'],
      flags: ['statistics'], fix: /ANALYZE "public"\."visits"; \(in profile_db\)/,
    },
    'an index never used on a busy table': {
      database: 'payments_db',
      breakSql: [
        'CREATE TABLE lookups (id int PRIMARY KEY, code text)', 'CREATE INDEX lookups_code_idx ON lookups (code)',
        "INSERT INTO lookups SELECT g, 'c' || g FROM generate_series(1, 200) g", 'ANALYZE lookups',
        'DO $$ BEGIN FOR i IN 1..1100 LOOP PERFORM count(*) FROM lookups; END LOOP; END $$',
      ],
      undoSql: ['DROP TABLE lookups'],
      flags: ['unused-indexes'], fix: /DROP INDEX CONCURRENTLY "public"\."lookups_code_idx"; \(in payments_db\)/,
    },
    'no archive command': {
      database: 'postgres', breakSql: ["ALTER SYSTEM SET archive_command = ''", 'SELECT pg_reload_conf()'], undoSql: ['ALTER SYSTEM RESET archive_command', 'SELECT pg_reload_conf()'],
      flags: ['wal-archiving'], fix: /ALTER SYSTEM SET archive_command = '<copy %p to the archive>'; SELECT pg_reload_conf\(\);/,
    },
    'archiving failing': {
      database: 'postgres',
      breakSql: ["ALTER SYSTEM SET archive_command = 'false'", 'SELECT pg_reload_conf()', 'SELECT pg_sleep(0.5)', 'CREATE TABLE wal_filler AS SELECT generate_series(1, 1000) AS n', 'SELECT pg_switch_wal()'],
      undoSql: ['ALTER SYSTEM RESET archive_command', 'SELECT pg_reload_conf()', 'DROP TABLE wal_filler'],
      flags: ['archive-failures'], fix: /archive command failed/,
    },
  };

  it.each(Object.entries(breaks))('%s: exactly that check flags it, naming the fix; undone, everything passes again', async (_name, b) => {
    await sql(b.database, ...b.breakSql);
    try {
      const broken = await checkUntil((rs) => flagged(rs).join() === b.flags.join());
      expect(flagged(broken)).toEqual(b.flags);
      for (const id of b.flags) {
        const r = broken.find((x) => x.id === id)!;
        expect(r.status).toBe(id === 'unused-indexes' ? 'warn' : 'fail');
      }
      expect(broken.filter((r) => b.flags.includes(r.id)).map((r) => r.fix).join('\n')).toMatch(b.fix);
    } finally {
      await sql(b.database, ...b.undoSql);
    }
    const healed = await checkUntil((rs) => flagged(rs).length === 0);
    expect(flagged(healed)).toEqual([]);
  }, 90_000);

  it('a service database missing: databases fails naming it; the checks that read it skip, saying it does not exist', async () => {
    const rename = async (from: string, to: string) => {
      // An autovacuum worker may be in the database for a moment.
      for (let i = 0; ; i++) {
        try {
          return await sql('postgres', `ALTER DATABASE ${from} RENAME TO ${to}`);
        } catch (error) {
          if (i >= 50 || !/being accessed by other users/.test(String(error))) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    await rename('profile_db', 'profile_db_renamed');
    try {
      const results = await checkAll();
      expect(flagged(results)).toEqual(['databases']);
      const byId = byIdOf(results);
      expect(byId('databases').found).toBe('missing: profile_db');
      expect(byId('databases').fix).toMatch(/CREATE DATABASE "profile_db";/);
      for (const id of ['least-privilege', 'statistics', 'indexes', 'unused-indexes']) {
        expect(byId(id).status).toBe('skip');
        expect(byId(id).found).toBe('database profile_db does not exist');
      }
    } finally {
      await rename('profile_db_renamed', 'profile_db');
    }
  }, 60_000);

  it('no verified backup: backups-recent and backup-restore-tested fail with the commands that fix them', async () => {
    const store = path.join(labDir, 'backups');
    renameSync(store, `${store}.aside`);
    try {
      const results = await checkAll();
      expect(flagged(results)).toEqual(['backup-restore-tested', 'backups-recent']);
      const byId = byIdOf(results);
      expect(byId('backups-recent').found).toBe(`no complete backup in ${store}`);
      expect(byId('backups-recent').fix).toMatch(/pgdrill backup run && pgdrill backup verify/);
      expect(byId('backup-restore-tested').fix).toMatch(/pgdrill backup verify/);
    } finally {
      renameSync(`${store}.aside`, store);
    }
  }, 60_000);

  it('drills-recent reads the ci history: a breached last drill and scenarios never drilled fail; all passed recently passes', async () => {
    const history = path.join(root, 'history.jsonl');
    const entry = (scenario: string, status: string, at: Date) => JSON.stringify({ at: at.toISOString(), scenario, variant: null, status, rtoMs: 1000, rpoMs: 0, lostWrites: 0, objectives: { rtoMs: 60_000, rpoMs: 0 } });
    const ids = scenarioIds();
    writeFileSync(history, `${entry('connection-loss', 'passed', new Date(Date.now() - 86_400_000))}\n${entry('connection-loss', 'breached', new Date())}\n`);
    const r = (await checkAll(history)).find((x) => x.id === 'drills-recent')!;
    expect(r.status).toBe('fail');
    expect(r.found).toMatch(/^last drill not passed: connection-loss \(breached, 0 s ago\); never drilled: /);
    expect(r.fix).toContain('npx pgdrill ci connection-loss ');
    writeFileSync(history, `${ids.map((id) => entry(id, 'passed', new Date(Date.now() - 10 * 86_400_000))).join('\n')}\n`);
    const ok = (await checkAll(history)).find((x) => x.id === 'drills-recent')!;
    expect(ok).toMatchObject({ status: 'pass', found: `all ${ids.length} scenarios passed their last drill, the oldest 10 d ago` });
    writeFileSync(history, `${ids.map((id) => entry(id, 'passed', new Date(Date.now() - 100 * 86_400_000))).join('\n')}\n`);
    const old = (await checkAll(history)).find((x) => x.id === 'drills-recent')!;
    expect(old.status).toBe('fail');
    expect(old.found).toMatch(/^older than 90 d: /);
  }, 60_000);

  it('pooler: a real PgBouncer in transaction mode passes; session mode fails with the setting to change; one that does not answer fails', async () => {
    const bin = findOnPath('pgbouncer');
    if (!bin) {
      console.log('skipped: no pgbouncer on PATH (apt-get install pgbouncer)');
      return;
    }
    const dir = tempDir('pgbouncer');
    const port = await freePort('127.0.0.1');
    const start = async (poolMode: string) => {
      const ini = path.join(dir, `pgbouncer-${poolMode}.ini`);
      writeFileSync(path.join(dir, 'users.txt'), '"checker" ""\n');
      writeFileSync(ini, [
        '[databases]', `payments_db = host=127.0.0.1 port=${lab.endpoint.port} dbname=payments_db`, '[pgbouncer]',
        'listen_addr = 127.0.0.1', `listen_port = ${port}`, 'auth_type = trust', `auth_file = ${path.join(dir, 'users.txt')}`,
        'admin_users = checker', `pool_mode = ${poolMode}`, `unix_socket_dir =`, '',
      ].join('\n'));
      const asRoot = process.getuid?.() === 0;
      const child = spawn(bin, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const probe = new pg.Client({ connectionString: `postgres://checker@127.0.0.1:${port}/pgbouncer` });
        const answered = await probe.connect().then(() => true, () => false);
        await probe.end().catch(() => {});
        if (answered) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return async () => {
        child.kill('SIGTERM');
        await exited;
      };
    };
    const checkPooler = async () => {
      const { ctx, close } = await openCheckContext({ labDir, historyFile: noHistory, pooler: `postgres://checker@127.0.0.1:${port}/pgbouncer` });
      try {
        return (await runChecks(CHECKS.filter((c) => c.id === 'pooler'), ctx))[0]!;
      } finally {
        await close();
      }
    };
    let stop = await start('transaction');
    try {
      expect(await checkPooler()).toMatchObject({ status: 'pass', found: 'PgBouncer answers; pool_mode = transaction' });
    } finally {
      await stop();
    }
    stop = await start('session');
    try {
      expect(await checkPooler()).toMatchObject({ status: 'fail', found: 'pool_mode = session', fix: expect.stringMatching(/pool_mode = transaction in pgbouncer.ini/) });
    } finally {
      await stop();
    }
    const gone = await checkPooler();
    expect(gone.status).toBe('fail');
    expect(gone.found).toMatch(/the pooler's admin console did not answer: .*ECONNREFUSED/);
  }, 60_000);

  describe('--url as another role', () => {
    const password = 'audit-Pa55word-xyz';
    const urlFor = (ssl: boolean) => `postgres://auditor:${password}@127.0.0.1:${lab.endpoint.port}/postgres${ssl ? '?sslmode=no-verify' : ''}`;

    beforeAll(async () => {
      await sql('postgres', `CREATE ROLE auditor LOGIN PASSWORD '${password}'`);
    });

    afterAll(async () => {
      if (existsSync(path.join(labDir, 'lab.json'))) {
        await sql('postgres', 'REVOKE pg_monitor FROM auditor', 'REVOKE SELECT ON pg_hba_file_rules FROM auditor', 'REVOKE EXECUTE ON FUNCTION pg_hba_file_rules() FROM auditor');
        for (const db of ['auth_db', 'payments_db', 'admin_db', 'profile_db']) await sql('postgres', `REVOKE CONNECT ON DATABASE ${db} FROM auditor`);
        await sql('postgres', 'DROP ROLE auditor');
      }
    });

    it('without pg_monitor or CONNECT: what it cannot see is skipped with the reason; the password is never printed', async () => {
      const json = path.join(root, 'auditor.json');
      const r = await runCli(['check', '--url', urlFor(true), '--history', noHistory, '--json', json], {}, root);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('· checking 127.0.0.1:');
      expect(r.stderr).toContain('as auditor (pg_monitor: no), read-only');
      const report = JSON.parse(readFileSync(json, 'utf8'));
      const byId = byIdOf(report.checks as CheckResult[]);
      for (const id of ['least-privilege', 'statistics', 'indexes', 'unused-indexes']) {
        expect(byId(id)).toMatchObject({ status: 'skip', found: 'cannot connect to auth_db: permission denied for database "auth_db" (grant the checking role CONNECT on it)' });
      }
      expect(byId('replication-lag')).toMatchObject({ status: 'skip', found: "auditor cannot read pg_stat_replication's lag columns (grant it pg_monitor)" });
      expect(byId('backups-recent').status).toBe('skip');
      expect(byId('ssl').status).toBe('warn');
      expect(byId('ssl').found).toMatch(/pg_hba.conf is not visible to this role/);
      expect(report.status).toBe('warn');
      for (const text of [r.stdout, r.stderr, readFileSync(json, 'utf8')]) {
        expect(text).not.toContain(password);
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
      const strict = await runCli(['check', '--url', urlFor(true), '--history', noHistory, '--fail-on', 'warn', '--only', 'ssl'], {}, root);
      expect(strict.code).toBe(2);
      expect(strict.stdout).toMatch(/^warn {2}ssl /);
    }, 60_000);

    it('with the documented minimal role (pg_monitor, CONNECT, pg_hba_file_rules): the server checks pass; without SSL in the URL, ssl fails', async () => {
      await sql('postgres', 'GRANT pg_monitor TO auditor', 'GRANT SELECT ON pg_hba_file_rules TO auditor', 'GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO auditor');
      for (const db of ['auth_db', 'payments_db', 'admin_db', 'profile_db']) await sql('postgres', `GRANT CONNECT ON DATABASE ${db} TO auditor`);
      const r = await runCli(['check', '--url', urlFor(true), '--history', noHistory, '--only', 'databases,security,connections,backups,monitoring,performance'], {}, root);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toContain('as auditor (pg_monitor: yes)');
      const status = Object.fromEntries(r.stdout.trim().split('\n').slice(0, -1).map((l) => [l.split(/\s+/)[1], l.split(/\s+/)[0]]));
      expect(status).toEqual({
        databases: 'pass', 'service-roles': 'pass', 'least-privilege': 'pass', ssl: 'pass', 'statement-timeout': 'pass', 'idle-in-transaction-timeout': 'pass',
        'connection-headroom': 'pass', pooler: 'skip', 'wal-archiving': 'pass', 'archive-failures': 'pass', 'backups-recent': 'skip', 'backup-restore-tested': 'skip',
        'data-checksums': 'pass', 'slow-query-log': 'pass', statistics: 'pass', indexes: 'pass', 'unused-indexes': 'pass', 'replication-lag': 'skip', wraparound: 'pass',
      });
      const plain = await runCli(['check', '--url', urlFor(false), '--only', 'ssl'], {}, root);
      expect(plain.code).toBe(2);
      expect(plain.stdout).toMatch(/^fail {2}ssl +ssl = on, but this connection is not encrypted · .* fix: connect with sslmode=require/);
      expect(plain.stdout + plain.stderr).not.toContain(password);
    }, 60_000);
  });
});
