import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.ts';
import { isAlive, startTestLab, tempDir } from '../helpers/test-lab.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('lab', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('lab');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('runs a real PostgreSQL with data checksums, WAL archiving and the pooling settings', async () => {
    const client = new pg.Client({ connectionString: env.lab.adminUrl('postgres') });
    await client.connect();
    try {
      const settings = await client.query(
        "SELECT name, setting FROM pg_settings WHERE name IN ('data_checksums','archive_mode','max_connections','statement_timeout','idle_in_transaction_session_timeout','listen_addresses','wal_level')",
      );
      const s = Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
      expect(s).toMatchObject({ data_checksums: 'on', archive_mode: 'on', max_connections: '100', statement_timeout: '30000', idle_in_transaction_session_timeout: '30000', listen_addresses: '127.0.0.1', wal_level: 'replica' });
      await client.query('SELECT pg_switch_wal()');
    } finally {
      await client.end();
    }
    // The archiver copies the switched segment into the lab's archive.
    await expect.poll(async () => (await env.lab.status()).archivedWalFiles, { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('runs the server as an unprivileged user that owns its files when pgdrill is root', async () => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: this check needs pgdrill to run as root (CI does)');
      return;
    }
    const pid = env.lab.postmasterPid()!;
    const uid = Number(/Uid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(uid).not.toBe(0);
    expect(statSync(env.lab.paths.dataDir).uid).toBe(uid);
  });

  it('is idempotent: a second up reuses the running server', async () => {
    const before = env.lab.postmasterPid();
    const again = new Lab({ labDir: env.labDir });
    const { started } = await again.up('persistent');
    expect(started).toBe(false);
    expect(again.postmasterPid()).toBe(before);
  });

  it('loads the four seed databases with least-privilege service roles', async () => {
    const admin = new pg.Client({ connectionString: env.lab.adminUrl('postgres') });
    await admin.connect();
    const dbs = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE '%\\_db' ORDER BY 1");
    await admin.end();
    expect(dbs.rows.map((r) => r.datname)).toEqual(['admin_db', 'auth_db', 'payments_db', 'profile_db']);

    const service = new pg.Client({ connectionString: env.lab.serviceUrl('payments') });
    await service.connect();
    try {
      const { rows } = await service.query('SELECT count(*)::int AS n FROM payments');
      expect(rows[0].n).toBeGreaterThan(0);
      await service.query("UPDATE payments SET status = status WHERE id = (SELECT id FROM payments LIMIT 1)");
      await expect(service.query('DELETE FROM payments')).rejects.toMatchObject({ code: '42501' });
      await expect(service.query('DROP TABLE payments')).rejects.toMatchObject({ code: '42501' });
      await expect(service.query('CREATE TABLE x (id int)')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await service.end();
    }
    const other = new pg.Client({ connectionString: env.lab.serviceUrl('payments').replace('/payments_db', '/auth_db') });
    await expect(other.connect()).rejects.toMatchObject({ code: '42501' });
    await other.end().catch(() => {});
  });

  it('down stops the server and keeps the data; up brings the same data back', async () => {
    const admin = new pg.Client({ connectionString: env.lab.adminUrl('payments_db') });
    await admin.connect();
    await admin.query("INSERT INTO payments (id, user_id, amount, currency, status) VALUES ('11111111-2222-3333-4444-555555555555', '11111111-2222-3333-4444-555555555555', 1, 'EUR', 'pending')");
    await admin.end();
    const pid = env.lab.postmasterPid()!;
    expect((await env.lab.down()).stopped).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect((await env.lab.status()).running).toBe(false);
    await env.lab.up('persistent');
    const again = new pg.Client({ connectionString: env.lab.adminUrl('payments_db') });
    await again.connect();
    const { rows } = await again.query("SELECT count(*)::int AS n FROM payments WHERE id = '11111111-2222-3333-4444-555555555555'");
    await again.end();
    expect(rows[0].n).toBe(1);
  });

  it('reaps a server left running by a pgdrill process that was killed, and never starts a second one', async () => {
    await env.lab.down();
    // A separate process brings the lab up as a drill would, then dies without cleanup.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { Lab } = await import(${JSON.stringify(path.join(root, 'src/lab/lab.ts'))});
      await new Lab({ labDir: ${JSON.stringify(env.labDir)} }).up('ephemeral');
      process.stdout.write('up\\n');
      setInterval(() => {}, 1000);
    `], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const orphan = new Lab({ labDir: env.labDir }).postmasterPid()!;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(isAlive(orphan)).toBe(true);

    const lines: string[] = [];
    const lab = new Lab({ labDir: env.labDir, log: (l) => lines.push(l) });
    const { started } = await lab.up('ephemeral');
    expect(started).toBe(true);
    expect(lines.join('\n')).toMatch(/Reaping a lab server left running by pgdrill process/);
    expect(isAlive(orphan)).toBe(false);
    expect(lab.postmasterPid()).not.toBe(orphan);
    await lab.releaseEphemeral();
    expect((await lab.status()).running).toBe(false);
    await env.lab.up('persistent');
  });

  it('starts a lab whose directory is too deep for a Unix socket path, and purges its socket directory', async () => {
    const deep = path.join(tempDir('deep'), 'a-rather-long-project-directory-name', 'and-another-level-of-nesting', 'lab');
    const lab = new Lab({ labDir: deep });
    await lab.up('ephemeral');
    const socketDir = lab.paths.socketDir;
    try {
      expect((await lab.status()).running).toBe(true);
      expect(socketDir.length).toBeLessThan(90);
      expect(existsSync(socketDir)).toBe(true);
    } finally {
      await lab.down({ purge: true });
    }
    expect(existsSync(socketDir)).toBe(false);
  });
});
