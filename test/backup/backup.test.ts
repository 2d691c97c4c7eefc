import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupLab, labBackupRoot, labScratchRoot, verifyLabBackup } from '../../src/backup/lab-backups.ts';
import { readManifest, writeManifest } from '../../src/backup/manifest.ts';
import { listBackups, pruneBackups } from '../../src/backup/store.ts';
import { missingWalSegments } from '../../src/backup/verify-backup.ts';
import { runCli } from '../helpers/run-cli.ts';
import { processesMatching, startTestLab } from '../helpers/test-lab.ts';

describe('backup run / list / prune / verify (real PostgreSQL)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('backup');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('takes a base backup with its manifest and a dump of each seed database, with checksums and row counts', async () => {
    const lines: string[] = [];
    const { dir, manifest } = await backupLab(env.lab, { onProgress: (l) => lines.push(l) });
    expect(existsSync(path.join(dir, 'base', 'backup_manifest'))).toBe(true);
    expect(manifest.base?.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(manifest.base?.startWalFile).toMatch(/^[0-9A-F]{24}$/);
    expect(manifest.dumps.map((d) => d.database)).toEqual(['auth_db', 'payments_db', 'admin_db', 'profile_db']);
    const payments = manifest.dumps.find((d) => d.database === 'payments_db')!.tables.find((t) => t.name === 'public.payments')!;
    const live = Number((await env.lab.psql('payments_db', 'SELECT count(*) FROM payments')).trim());
    expect(payments.rows).toBe(live);
    expect(Object.keys(manifest.files).length).toBeGreaterThan(100);
    expect(Object.values(manifest.files).every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(lines.some((l) => /base backup: .*kB/.test(l))).toBe(true);
    expect(readManifest(dir).id).toBe(manifest.id);
  });

  it('verifies a good backup by a real restore and leaves no scratch cluster behind', async () => {
    // Some WAL beyond the backup, archived, so that replay really replays.
    await env.lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) SELECT gen_random_uuid(), md5('user-1')::uuid, 1, 'EUR', 'pending' FROM generate_series(1, 50)");
    await env.lab.psql('postgres', 'SELECT pg_switch_wal()');
    // While the smoke checks run, the scratch cluster's postmaster is up: it must run in the background of the machine.
    const priorities: number[] = [];
    const report = await verifyLabBackup(env.lab, {
      onProgress: (line) => {
        if (!line.startsWith('tables: running')) return;
        for (const name of readdirSync(labScratchRoot(env.lab))) {
          const pidFile = path.join(labScratchRoot(env.lab), name, 'data', 'postmaster.pid');
          if (existsSync(pidFile)) priorities.push(os.getPriority(Number(readFileSync(pidFile, 'utf8').split('\n')[0])));
        }
      },
    });
    console.log(`verify: restore ${report.restoreMs?.toFixed(0)} ms; ${report.checks.map((c) => `${c.name}=${c.ok}`).join(', ')}`);
    expect(report.ok, JSON.stringify(report.checks, null, 1)).toBe(true);
    expect(report.restoreMs).toBeGreaterThan(0);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['checksums', 'pg_verifybackup', 'wal-archive', 'restore', 'smoke: SELECT COUNT(*) FROM users', 'pg_amcheck', 'dump payments_db']));
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
    expect(await processesMatching(labScratchRoot(env.lab))).toEqual([]);
    expect(listBackups(labBackupRoot(env.lab)).at(-1)?.verified?.ok).toBe(true);
    expect(priorities).toEqual([19]);
  });

  it('fails loudly on a flipped byte in a backup file (exit code 2 from the CLI)', async () => {
    const good = listBackups(labBackupRoot(env.lab)).at(-1)!;
    const bad = path.join(labBackupRoot(env.lab), `${good.id}-flipped`);
    cpSync(good.dir, bad, { recursive: true });
    const m = readManifest(bad);
    writeManifest(bad, { ...m, id: `${m.id}-flipped` });
    const victim = path.join(bad, 'base', 'global', 'pg_control');
    const bytes = readFileSync(victim);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(victim, bytes);
    const run = await runCli(['backup', 'verify', bad, '--lab-dir', env.labDir, '--skip-amcheck']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/FAILED/);
    expect(run.stdout).toMatch(/✗ checksums .*global\/pg_control differs/);
    expect(run.stdout).toMatch(/✗ pg_verifybackup/);
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
  });

  it('fails loudly when a WAL segment is missing from the archive', async () => {
    const archive = env.lab.paths.archiveDir;
    for (let i = 0; i < 3; i++) {
      await env.lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) SELECT gen_random_uuid(), md5('user-2')::uuid, 2, 'EUR', 'pending' FROM generate_series(1, 20)");
      await env.lab.psql('postgres', 'SELECT pg_switch_wal()');
    }
    const deadline = Date.now() + 20_000;
    const good = listBackups(labBackupRoot(env.lab)).filter((b) => !b.id.endsWith('flipped')).at(-1)!;
    let segments: string[] = [];
    while (Date.now() < deadline) {
      segments = readdirSync(archive).filter((f) => /^[0-9A-F]{24}$/.test(f) && f > good.manifest!.base!.startWalFile).sort();
      if (segments.length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const victim = segments[1]!;
    const aside = path.join(path.dirname(archive), `${victim}.aside`);
    renameSync(path.join(archive, victim), aside);
    try {
      expect(missingWalSegments(archive, good.manifest!.base!.startWalFile)).toEqual([victim]);
      const report = await verifyLabBackup(env.lab, { backup: good.id, skipAmcheck: true });
      expect(report.ok).toBe(false);
      const wal = report.checks.find((c) => c.name === 'wal-archive')!;
      expect(wal.ok).toBe(false);
      expect(wal.detail).toContain(victim);
    } finally {
      renameSync(aside, path.join(archive, victim));
    }
    expect(readdirSync(labScratchRoot(env.lab))).toEqual([]);
  });

  it('lists backups and prunes by age, always keeping the newest complete one', async () => {
    const root = labBackupRoot(env.lab);
    const old = path.join(root, '20200101T000000.000Z');
    cpSync(listBackups(root).at(-1)!.dir, old, { recursive: true });
    const m = readManifest(old);
    writeManifest(old, { ...m, id: '20200101T000000.000Z', createdAt: '2020-01-01T00:00:00.000Z' });
    const incomplete = path.join(root, '20200102T000000.000Z');
    mkdirSync(incomplete);
    utimesSync(incomplete, new Date('2020-01-02'), new Date('2020-01-02'));

    const list = await runCli(['backup', 'list', '--lab-dir', env.labDir]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('20200101T000000.000Z');
    expect(list.stdout).toMatch(/20200102T000000.000Z\s+INCOMPLETE/);
    expect(list.stdout).toMatch(/VERIFY FAILED .*\(wal-archive\)/);

    const dry = pruneBackups(root, 30, { dryRun: true });
    expect(dry.removed.map((b) => b.id).sort()).toEqual(['20200101T000000.000Z', '20200102T000000.000Z']);
    expect(existsSync(old)).toBe(true);
    const prune = await runCli(['backup', 'prune', '--keep-days', '30', '--lab-dir', env.labDir]);
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toMatch(/Removed 2 backup/);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(incomplete)).toBe(false);
    // Even a retention of 0 days keeps the newest complete backup.
    const zero = pruneBackups(root, 0, { dryRun: true });
    expect(zero.kept.map((b) => b.id)).toContain(listBackups(root).filter((b) => b.manifest).at(-1)!.id);
  });

  it('says clearly when there is nothing to verify or the lab is not running', async () => {
    const run = await runCli(['backup', 'verify', 'no-such-backup', '--lab-dir', env.labDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/There is no backup "no-such-backup"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
