import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { Lab } from '../../src/lab/lab.ts';
import { findPgBouncer } from '../../src/lab/pgbouncer-binary.ts';
import { resolveServerUser } from '../../src/lab/server-user.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { isAlive, processesMatching, removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/** The real uid a process runs as, from /proc. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}

describe('lab up --pooler: the real PgBouncer in front of the lab', () => {
  let labDir: string;
  beforeAll(() => {
    labDir = path.join(tempDir('pooler'), 'lab');
  });
  afterAll(async () => {
    await removeTempDirs();
  });

  it('starts PgBouncer as the server user on its own loopback port, transaction mode, SCRAM auth file 0600; a second lab up reuses it', async () => {
    const first = await runCli(['lab', 'up', '--pooler', '--lab-dir', labDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/PgBouncer is up \(pid \d+\): transaction pooling on 127\.0\.0\.1:\d+/);
    // The admin console URL is printed with its password masked.
    const lab = new Lab({ labDir });
    const pooler = lab.pooler!;
    expect(first.stdout).not.toContain(lab.adminUrl('postgres').split('@')[0]!.split(':')[2]!);
    const pid = pooler.pid()!;
    expect(isAlive(pid)).toBe(true);
    expect(uidOf(pid)).toBe(resolveServerUser().uid);
    expect(pooler.endpoint.port).not.toBe(lab.endpoint.port);

    const ini = readFileSync(pooler.files.configFile, 'utf8');
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^listen_addr = 127\.0\.0\.1$/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^payments_db = host=127\.0\.0\.1 port=\d+ dbname=payments_db pool_size=5/m);
    const auth = readFileSync(pooler.files.authFile, 'utf8');
    expect(statSync(pooler.files.authFile).mode & 0o777).toBe(0o600);
    expect(statSync(pooler.files.configFile).mode & 0o777).toBe(0o600);
    expect(auth).toMatch(/^"payments_service" "SCRAM-SHA-256\$/m);
    // No plain password anywhere in PgBouncer's files.
    for (const password of Object.values(lab.rolePasswords())) {
      expect(auth).not.toContain(password);
      expect(ini).not.toContain(password);
    }

    const again = await runCli(['lab', 'up', '--pooler', '--lab-dir', labDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/PgBouncer was already up/);
    expect(new Lab({ labDir }).pooler!.pid()).toBe(pid);
    expect((await processesMatching(pooler.files.configFile)).filter((l) => /pgbouncer/.test(l))).toHaveLength(1);
  });

  it('serves the service roles through SCRAM and rejects a wrong password', async () => {
    const lab = new Lab({ labDir });
    const client = new pg.Client({ connectionString: lab.serviceUrl('payments', lab.pooler!.endpoint), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT current_user AS who, inet_server_port() AS port');
      expect(rows[0]).toEqual({ who: 'payments_service', port: lab.endpoint.port });
    } finally {
      await client.end();
    }
    const bad = new pg.Client({ connectionString: lab.serviceUrl('payments', lab.pooler!.endpoint).replace(/:[^:@]+@/, ':wrong@'), connectionTimeoutMillis: 5000 });
    bad.on('error', () => {});
    await expect(bad.connect()).rejects.toThrow(/password authentication failed|SASL/);
    await bad.end().catch(() => {});
  });

  it('lab status --json parses SHOW POOLS: a saturated pool shows sv_active at its size, clients waiting, maxwait climbing', async () => {
    const lab = new Lab({ labDir });
    const url = lab.serviceUrl('payments', lab.pooler!.endpoint);
    const holders: pg.Client[] = [];
    let waiter: pg.Client | undefined;
    try {
      for (let i = 0; i < 5; i++) {
        const c = new pg.Client({ connectionString: url });
        c.on('error', () => {});
        holders.push(c);
        await c.connect();
        await c.query('BEGIN');
        await c.query('SELECT 1');
      }
      waiter = new pg.Client({ connectionString: url });
      waiter.on('error', () => {});
      await waiter.connect();
      const waiting = waiter.query('SELECT 1').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500));
      const run = await runCli(['lab', 'status', '--json', '--lab-dir', labDir]);
      expect(run.code, run.stderr).toBe(0);
      const status = JSON.parse(run.stdout);
      expect(status.pooler).toMatchObject({ running: true, pid: lab.pooler!.pid(), port: lab.pooler!.endpoint.port, problem: null });
      const pool = status.pooler.pools.find((p: { database: string; user: string }) => p.database === 'payments_db' && p.user === 'payments_service');
      expect(pool).toMatchObject({ clActive: 5, clWaiting: 1, svActive: 5, svIdle: 0, poolMode: 'transaction' });
      expect(pool.maxwaitMs).toBeGreaterThanOrEqual(1000);
      expect(pool.maxwaitMs).toBeLessThan(30_000);
      const text = await runCli(['lab', 'status', '--lab-dir', labDir]);
      expect(text.stdout).toMatch(/pgbouncer\s+running \(pid \d+\) on 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/);
      expect(text.stdout).toMatch(/payments_db\/payments_service: cl_active 5, cl_waiting 1, sv_active 5, sv_idle 0, maxwait \d+ ms/);
      await holders[0]!.query('COMMIT');
      await waiting;
    } finally {
      await Promise.all([...holders, ...(waiter ? [waiter] : [])].map((c) => c.end().catch(() => {})));
    }
  });

  it('lab down stops PgBouncer with the server; lab up starts the pooler the lab has', async () => {
    const before = new Lab({ labDir }).pooler!.pid()!;
    const down = await runCli(['lab', 'down', '--lab-dir', labDir]);
    expect(down.code, down.stderr).toBe(0);
    expect(isAlive(before)).toBe(false);
    expect(new Lab({ labDir }).pooler!.isRunning()).toBe(false);
    const up = await runCli(['lab', 'up', '--lab-dir', labDir]);
    expect(up.stdout).toMatch(/PgBouncer is up/);
    const lab = new Lab({ labDir });
    expect(lab.pooler!.isRunning()).toBe(true);
    expect((await lab.pooler!.admin('SHOW VERSION'))[0]?.version).toMatch(/PgBouncer \d+\.\d+/);
    await lab.down();
    expect(lab.pooler!.isRunning()).toBe(false);
  });

  it('a PgBouncer left by a killed pgdrill is reaped by the next lab up', async () => {
    const orphanDir = path.join(tempDir('pooler-orphan'), 'lab');
    const script = `import { Lab } from ${JSON.stringify(path.join(repoRoot, 'src/lab/lab.ts'))};
const lab = new Lab({ labDir: ${JSON.stringify(orphanDir)} });
await lab.up('ephemeral', { pooler: true });
console.log('pooler ' + lab.pooler.pid());
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    await expect.poll(() => out, { timeout: 90_000, interval: 100 }).toMatch(/pooler \d+/);
    const orphan = Number(/pooler (\d+)/.exec(out)![1]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(isAlive(orphan)).toBe(true);
    const lines: string[] = [];
    const lab = new Lab({ labDir: orphanDir, log: (l) => lines.push(l) });
    await lab.up('persistent');
    expect(lines.join('\n')).toMatch(/Reaping a lab server left running by pgdrill process \d+/);
    expect(isAlive(orphan)).toBe(false);
    // The lab's pooler is started again, now owned by lab up.
    expect(lab.pooler!.pid()).not.toBe(orphan);
    expect(lab.pooler!.isRunning()).toBe(true);
    await lab.down({ purge: true });
    expect(await processesMatching(orphanDir)).toEqual([]);
  });

  it('names the package when PgBouncer cannot be found, and a bad PGBOUNCER_BIN', async () => {
    let error: unknown;
    try {
      findPgBouncer({ PATH: '/nonexistent' }, ['/nonexistent/pgbouncer']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(String((error as UserError).message)).toMatch(/PgBouncer is not installed/);
    expect((error as UserError).nextStep).toMatch(/apt-get install pgbouncer/);
    expect((error as UserError).nextStep).toMatch(/brew install pgbouncer/);

    const missingDir = path.join(tempDir('pooler-missing'), 'lab');
    const run = await runCli(['lab', 'up', '--pooler', '--lab-dir', missingDir], { PGBOUNCER_BIN: '/nonexistent/pgbouncer' });
    expect(run.code).toBe(1);
    // Checked before anything starts: no lab was created.
    await expect(new Lab({ labDir: missingDir }).status()).resolves.toMatchObject({ exists: false });
    expect(run.stderr).toMatch(/PGBOUNCER_BIN is set to \/nonexistent\/pgbouncer, which is not an executable file/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
