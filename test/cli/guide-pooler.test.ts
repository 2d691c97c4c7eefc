import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { isAlive, removeTempDirs, tempDir } from '../helpers/test-lab.ts';
import { Lab } from '../../src/lab/lab.ts';

/**
 * The pooler runbooks guided against a PgBouncer named by its admin console
 * URL (`--url` the server, `--pooler-url` the console), as against
 * production: console steps run through pg, steps that need the lab become
 * manual.
 */
describe('guide --pooler-url: the pooler runbooks against a PgBouncer admin console', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('guide-pooler');
    lab = new Lab({ labDir: path.join(dir, 'lab') });
    await lab.up('persistent', { pooler: true });
  });
  afterAll(async () => {
    await removeTempDirs();
  });

  const records = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string; line?: string });

  it('pool-saturation: reads SHOW POOLS and SHOW CLIENTS on the console, ends the holders on the server, RESUMEs a paused database; the service check is left to a person', async () => {
    const url = lab.serviceUrl('payments', lab.pooler!.endpoint);
    const clients: pg.Client[] = [];
    const open = async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'leaky-worker' });
      c.on('error', () => {});
      clients.push(c);
      await c.connect();
      return c;
    };
    try {
      for (let i = 0; i < 5; i++) {
        const c = await open();
        await c.query('BEGIN');
        await c.query('SELECT 1');
      }
      const waiter = await open();
      const waited = waiter.query('SELECT 42 AS answer');
      await lab.pooler!.admin('PAUSE profile_db');
      const journal = path.join(dir, 'saturation.jsonl');
      const name = `${lab.endpoint.host}:${lab.endpoint.port}`;
      const run = await runCli(['guide', 'pool-saturation', '--yes', '--url', lab.adminUrl('postgres'), '--pooler-url', lab.pooler!.adminUrl(), '--allow-destructive', '--confirm', name, '--journal', journal]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/payments_db\/payments_service \(transaction\): cl_active 5, cl_waiting 1, sv_active 5, sv_idle 0, maxwait \d+ ms/);
      expect(run.stdout).toMatch(/5 × payments_db\/payments_service leaky-worker/);
      expect(run.stdout).toMatch(/application_name=leaky-worker .*terminated=true/);
      expect(run.stdout).toMatch(/RESUME profile_db/);
      expect(run.stdout).toMatch(/step 7\/7 verify-service needs a person/);
      // The waiting client was served once the holders were gone.
      expect((await waited).rows[0]).toEqual({ answer: 42 });
      const databases = await lab.pooler!.admin('SHOW DATABASES');
      expect(databases.filter((d) => Number(d.paused) !== 0)).toEqual([]);
      const ended = records(journal).filter((r) => r.type === 'step-end').map((r) => r.stepId);
      expect(ended).toEqual(['show-pools', 'show-clients', 'find-holders', 'terminate-holders', 'resume-paused', 'verify-pools']);
      // Passwords in --url and --pooler-url never reach the output or the journal.
      const password = lab.rolePasswords().payments_service!;
      const superPassword = new URL(lab.adminUrl('postgres')).password;
      for (const text of [run.stdout, run.stderr, readFileSync(journal, 'utf8')]) {
        expect(text).not.toContain(superPassword);
        expect(text).not.toContain(password);
      }
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
    }
  });

  it('pooler-down: sees the server up and the console refusing; restarting PgBouncer is a person\'s job away from the lab', async () => {
    const pid = lab.pooler!.pid()!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
    const journal = path.join(dir, 'down.jsonl');
    const run = await runCli(['guide', 'pooler-down', '--yes', '--url', lab.adminUrl('postgres'), '--pooler-url', lab.pooler!.adminUrl(), '--journal', journal]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/accepting connections/);
    expect(run.stdout).toMatch(/PgBouncer 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(run.stdout).toMatch(/step 3\/5 restart-pooler needs a person/);
    expect(run.stderr).toMatch(/systemctl restart pgbouncer/);
    expect(records(journal).filter((r) => r.type === 'step-end').map((r) => r.stepId)).toEqual(['check-server', 'check-pooler']);
  });

  it('a pooler runbook without any console says which flag gives one', async () => {
    const run = await runCli(['guide', 'pool-saturation', '--yes', '--url', lab.adminUrl('postgres'), '--journal', path.join(dir, 'none.jsonl')]);
    expect(run.code).toBe(1);
    const bad = await runCli(['guide', 'pool-saturation', '--yes', '--url', lab.adminUrl('postgres'), '--pooler-url', 'mysql://x@y/z', '--journal', path.join(dir, 'bad.jsonl')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/The --pooler-url value uses "mysql:", not postgres:/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout + run.stderr).toMatch(/give --pooler-url with its URL, database pgbouncer: postgres:\/\/admin@host:6432\/pgbouncer/);
  });
});
