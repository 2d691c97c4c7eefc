import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CommandError, UserError, errorMessage } from '../core/errors.ts';
import { runWithProgress } from '../lab/server-process.ts';
import { redact } from '../util/redact.ts';
import { ensureDir, type DirRole } from '../util/safe-dir.ts';
import { checksumFiles, listFiles, writeManifest, type BackupManifest, type DumpEntry, type TableCount } from './manifest.ts';
import { SEED_DATABASES, type BackupSource } from './source.ts';
import { tableIdentifier } from '../util/sql-names.ts';

/** How a backup directory is named in errors about it. */
export const BACKUP_DIR_ROLE: DirRole = { what: 'backup directory', nextStep: 'Give --backup-dir a directory you can write to (or a path that can be created under one).' };

/** What to take and where. */
export interface BackupOptions {
  /** Directory holding backups (one subdirectory each); default the source's. */
  backupRoot?: string;
  /** Take the physical base backup (default true). */
  base?: boolean;
  /** Databases to dump with pg_dump -Fc; default the seed's four (those that exist). `[]` takes none. */
  databases?: string[];
  /** Progress lines for a person. */
  onProgress?: (line: string) => void;
  /** Bound on each program; default 1 h. */
  timeoutMs?: number;
}

/** A finished backup: its directory and manifest. */
export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
}

/** A sortable, filesystem-safe backup id from a time: 20250101T120000.123Z. */
export function backupIdFor(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '');
}

const TABLES_SQL = `SELECT n.nspname || '.' || c.relname AS name, c.oid::int AS oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 1`;

/** Row counts of every user table, in the current transaction's snapshot. */
export async function countTables(client: pg.Client): Promise<TableCount[]> {
  const tables = (await client.query(TABLES_SQL)).rows as Array<{ name: string; oid: number }>;
  const out: TableCount[] = [];
  for (const t of tables) {
    const { rows } = await client.query(`SELECT count(*)::bigint AS n FROM ${tableIdentifier(t.name)}`);
    out.push({ name: t.name, oid: t.oid, rows: Number(rows[0]?.n ?? 0) });
  }
  return out;
}

function parseWalRanges(manifestText: string): { timeline: number; startLsn: string; endLsn: string } {
  const m = JSON.parse(manifestText) as { 'WAL-Ranges'?: Array<{ Timeline: number; 'Start-LSN': string; 'End-LSN': string }> };
  const ranges = m['WAL-Ranges'] ?? [];
  const first = ranges[0];
  const last = ranges[ranges.length - 1];
  if (!first || !last) throw new UserError('The base backup has no WAL range in its backup_manifest.');
  return { timeline: last.Timeline, startLsn: first['Start-LSN'], endLsn: last['End-LSN'] };
}

/**
 * Takes one backup of `source` into `<backupRoot>/<id>/`: a physical base
 * backup with `pg_basebackup` (plain format, WAL streamed in, its own
 * `backup_manifest`) in `base/`, and a `pg_dump -Fc` of each database in
 * `dumps/`, each dump taken in an exported snapshot whose row counts are
 * recorded. Then a SHA-256 of every file, and `manifest.json` last. On any
 * failure the partial directory is removed and the error rethrown.
 */
export async function takeBackup(source: BackupSource, options: BackupOptions = {}): Promise<BackupResult> {
  const progress = (line: string) => options.onProgress?.(redact(line));
  const timeoutMs = options.timeoutMs ?? 3_600_000;
  const started = new Date();
  const t0 = performance.now();
  const root = path.resolve(options.backupRoot ?? source.defaultBackupRoot);
  let id = backupIdFor(started);
  ensureDir(root, BACKUP_DIR_ROLE, 0o700);
  const dir = path.join(root, id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    id = `${id}-${process.pid}`;
    mkdirSync(path.join(root, id), { mode: 0o700 });
  }
  const backupDir = path.join(root, id);
  try {
    const probe = new pg.Client(source.clientConfig('postgres'));
    probe.on('error', () => {});
    let serverVersion = '';
    let systemIdentifier = '';
    let existing: string[] = [];
    try {
      await probe.connect();
      serverVersion = String((await probe.query('SHOW server_version')).rows[0]?.server_version ?? '');
      systemIdentifier = String((await probe.query('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id ?? '');
      existing = (await probe.query('SELECT datname FROM pg_database WHERE NOT datistemplate')).rows.map((r) => String(r.datname));
    } catch (error) {
      throw new UserError(`Cannot reach ${source.name} to back it up: ${errorMessage(error)}.`, source.kind === 'lab' ? 'Start the lab with `pgdrill lab up`.' : 'Check the --url (host, port, user, password) and that the server accepts connections.');
    } finally {
      await probe.end().catch(() => {});
    }
    const databases = options.databases ?? SEED_DATABASES.filter((d) => existing.includes(d));
    for (const d of databases) if (!existing.includes(d)) throw new UserError(`The database "${d}" does not exist on ${source.name}.`);

    let base: BackupManifest['base'] = null;
    if (options.base !== false) {
      const baseDir = path.join(backupDir, 'base');
      progress(`base backup of ${source.name} into ${baseDir}`);
      const bt0 = performance.now();
      let lastShown = 0;
      try {
        await runWithProgress(source.binaries.bin('pg_basebackup'), ['-D', baseDir, '-Fp', '-X', 'stream', '-c', 'fast', '-P', '-l', `pgdrill ${id}`, '--manifest-checksums=CRC32C'], {
          env: source.env,
          timeoutMs,
          onLine: (line) => {
            const m = /^(\d+)\/(\d+) kB \((\d+)%\)/.exec(line);
            if (m && Date.now() - lastShown < 500 && m[3] !== '100') return;
            lastShown = Date.now();
            progress(`base backup: ${line}`);
          },
        });
      } catch (error) {
        if (error instanceof CommandError) throw new UserError(`pg_basebackup failed: ${redact(error.stderrTail.trim() || error.message)}`, 'Check that the server allows replication connections for this user (pg_hba.conf, max_wal_senders) and that the disk has room.');
        throw error;
      }
      const range = parseWalRanges(readFileSync(path.join(baseDir, 'backup_manifest'), 'utf8'));
      const label = readFileSync(path.join(baseDir, 'backup_label'), 'utf8');
      const startWalFile = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(label)?.[1] ?? '';
      const files = listFiles(baseDir);
      const bytes = files.reduce((sum, f) => sum + statSync(path.join(baseDir, f)).size, 0);
      base = { dir: 'base', ...range, startWalFile, bytes, files: files.length, durationMs: performance.now() - bt0 };
      progress(`base backup done: ${(bytes / 1048576).toFixed(1)} MiB, WAL ${range.startLsn} → ${range.endLsn} (timeline ${range.timeline}) in ${((performance.now() - bt0) / 1000).toFixed(1)} s`);
    }

    const dumps: DumpEntry[] = [];
    if (databases.length) mkdirSync(path.join(backupDir, 'dumps'), { mode: 0o700 });
    for (const [i, database] of databases.entries()) {
      progress(`pg_dump ${database} (${i + 1}/${databases.length})`);
      const dt0 = performance.now();
      const file = path.join('dumps', `${database}.dump`);
      const client = new pg.Client(source.clientConfig(database));
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query('SET LOCAL statement_timeout = 0');
        const snapshot = String((await client.query('SELECT pg_export_snapshot() AS s')).rows[0]?.s);
        const tables = await countTables(client);
        try {
          await runWithProgress(source.binaries.bin('pg_dump'), ['-Fc', '--snapshot', snapshot, '-f', path.join(backupDir, file), '-d', database], { env: source.env, timeoutMs });
        } catch (error) {
          if (error instanceof CommandError) throw new UserError(`pg_dump of ${database} failed: ${redact(error.stderrTail.trim() || error.message)}`);
          throw error;
        }
        await client.query('COMMIT');
        dumps.push({ database, file, bytes: statSync(path.join(backupDir, file)).size, durationMs: performance.now() - dt0, tables });
      } finally {
        await client.end().catch(() => {});
      }
    }

    progress('checksumming every file (SHA-256)');
    const files = await checksumFiles(backupDir);
    const totalBytes = Object.values(files).reduce((s, f) => s + f.size, 0);
    const manifest: BackupManifest = {
      format: 'pgdrill-backup/1',
      id,
      createdAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: performance.now() - t0,
      source: { kind: source.kind, name: source.name, host: source.host, port: source.port, superuser: source.superuser, serverVersion, systemIdentifier },
      base,
      dumps,
      walArchive: source.walArchive,
      totalBytes,
      files,
    };
    writeManifest(backupDir, manifest);
    progress(`backup ${id} complete: ${(totalBytes / 1048576).toFixed(1)} MiB in ${(manifest.durationMs / 1000).toFixed(1)} s`);
    return { dir: backupDir, manifest };
  } catch (error) {
    rmSync(backupDir, { recursive: true, force: true });
    throw error;
  }
}
