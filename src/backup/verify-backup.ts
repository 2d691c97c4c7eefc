import pg from 'pg';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CommandError, errorMessage } from '../core/errors.ts';
import type { PgBinaries } from '../lab/pg-binaries.ts';
import { ScratchCluster, type RecoveryReport } from '../lab/scratch-cluster.ts';
import type { ServerUser } from '../lab/server-user.ts';
import type { CleanupStack } from '../util/cleanup.ts';
import { abortedScopeReason } from '../util/work-scope.ts';
import { maybeLowPriority, programName } from '../util/low-priority.ts';
import { runCommand } from '../util/run-command.ts';
import { checksumFiles, writeVerifyRecord, type BackupManifest } from './manifest.ts';
import { maxOf } from '../util/numbers.ts';
import { tableIdentifier } from '../util/sql-names.ts';

/** One check of a verification, with what it saw. */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

/**
 * The outcome of `backup verify`: every check, whether all passed, and the
 * measured restore time (copy + WAL replay to a writable cluster), which is
 * the backup's RTO evidence. `ok` is true only when the restore really
 * worked and every smoke check passed.
 */
export interface VerifyReport {
  backupId: string;
  ok: boolean;
  checks: VerifyCheck[];
  /** Copy + replay until the scratch cluster accepted writes; null when the restore failed. */
  restoreMs: number | null;
  recovery: RecoveryReport | null;
  totalMs: number;
  /** Why the verification stopped before its end (a signal); then nothing is recorded in the backup. */
  interrupted?: string;
}

/** How to verify: where scratch clusters may live and what they restore from. */
export interface VerifyOptions {
  binaries: PgBinaries;
  user: ServerUser;
  /** A directory the server user can enter, for the scratch cluster. */
  scratchRoot: string;
  /** The WAL archive to replay from; default the manifest's. `null`: only the WAL inside the backup. */
  archiveDir?: string | null;
  cleanup?: CleanupStack;
  onProgress?: (line: string) => void;
  /** Skip pg_amcheck (it reads every page; slow on big clusters). */
  skipAmcheck?: boolean;
  timeoutMs?: number;
  /** Restore and check at the lowest CPU and I/O priority (beside a live service); see `lowPriority`. */
  background?: boolean;
}

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/**
 * WAL segment names missing from `archiveDir` between `startWalFile` and
 * the newest archived segment (any timeline; 16 MB segments). A gap means a
 * replay stops early and silently loses everything after it.
 */
export function missingWalSegments(archiveDir: string, startWalFile: string): string[] {
  const start = SEGMENT.exec(startWalFile);
  if (!start) return [];
  const index = (m: RegExpExecArray) => parseInt(m[2]!, 16) * 0x100 + parseInt(m[3]!, 16);
  const startIndex = index(start);
  const present = new Map<number, string>();
  for (const f of existsSync(archiveDir) ? readdirSync(archiveDir) : []) {
    const m = SEGMENT.exec(f.replace(/\.partial$/, ''));
    if (m && index(m) >= startIndex) present.set(index(m), m[1]!);
  }
  if (present.size === 0) return [startWalFile];
  const last = maxOf(present.keys());
  const missing: string[] = [];
  let tli = start[1]!;
  for (let i = startIndex; i <= last; i++) {
    const t = present.get(i);
    if (t) tli = t;
    else missing.push(`${tli}${Math.floor(i / 0x100).toString(16).toUpperCase().padStart(8, '0')}${(i % 0x100).toString(16).toUpperCase().padStart(8, '0')}`);
  }
  return missing;
}

/**
 * Proves a backup by restoring it for real: file checksums against the
 * manifest, `pg_verifybackup` on the base backup, the WAL archive checked
 * for gaps, the base backup restored into a scratch cluster with every
 * archived WAL segment replayed, smoke checks (the seed's `SELECT COUNT(*)
 * FROM users`, every table of the manifest present, `pg_amcheck` on every
 * database), each dump restored into a scratch database with its row counts
 * compared to the manifest's exactly. The scratch cluster is always
 * removed. The outcome is also written to `verify.json` in the backup.
 */
export async function verifyBackup(backupDir: string, manifest: BackupManifest, options: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const progress = options.onProgress ?? (() => {});
  const checks: VerifyCheck[] = [];
  const check = async (name: string, work: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> => {
    const s = performance.now();
    progress(`${name}: running`);
    let result: { ok: boolean; detail: string };
    try {
      result = await work();
    } catch (error) {
      result = { ok: false, detail: error instanceof CommandError ? `${programName(error.command)} failed: ${error.stderrTail.trim().split('\n').slice(-4).join(' | ')}` : errorMessage(error) };
    }
    checks.push({ name, ...result, durationMs: performance.now() - s });
    progress(`${name}: ${result.ok ? 'ok' : 'FAILED'} — ${result.detail}`);
    return result.ok;
  };

  await check('checksums', async () => {
    const actual = await checksumFiles(backupDir);
    const problems: string[] = [];
    for (const [rel, want] of Object.entries(manifest.files)) {
      const got = actual[rel];
      if (!got) problems.push(`${rel} is missing`);
      else if (got.sha256 !== want.sha256 || got.size !== want.size) problems.push(`${rel} differs from the manifest (sha256 ${got.sha256.slice(0, 12)}… ≠ ${want.sha256.slice(0, 12)}…)`);
    }
    for (const rel of Object.keys(actual)) if (!manifest.files[rel]) problems.push(`${rel} is not in the manifest`);
    return problems.length ? { ok: false, detail: problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '') } : { ok: true, detail: `${Object.keys(manifest.files).length} files match their SHA-256` };
  });

  const archiveDir = options.archiveDir === undefined ? manifest.walArchive : options.archiveDir;
  let recovery: RecoveryReport | null = null;
  const base = manifest.base;
  if (base) {
    const baseDir = path.join(backupDir, base.dir);
    await check('pg_verifybackup', async () => {
      const verify = maybeLowPriority(options.background, options.binaries.bin('pg_verifybackup'), ['-q', baseDir]);
      await runCommand(verify.file, verify.args, { timeoutMs: options.timeoutMs ?? 3_600_000 });
      return { ok: true, detail: 'base backup matches its backup_manifest, its WAL parses' };
    });
    if (archiveDir) {
      await check('wal-archive', async () => {
        const missing = missingWalSegments(archiveDir, base.startWalFile);
        return missing.length ? { ok: false, detail: `the archive misses ${missing.length} segment(s) after the backup start: ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''}` } : { ok: true, detail: `continuous from ${base.startWalFile}` };
      });
    }
    let scratch: ScratchCluster | undefined;
    try {
      const restored = await check('restore', async () => {
        scratch = await ScratchCluster.restore(baseDir, {
          binaries: options.binaries,
          user: options.user,
          root: options.scratchRoot,
          name: `verify-${manifest.id.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
          archiveDir: archiveDir ?? undefined,
          target: { kind: 'end' },
          superuser: manifest.source.superuser,
          cleanup: options.cleanup,
          timeoutMs: options.timeoutMs,
          log: progress,
          background: options.background,
        });
        recovery = scratch.report!;
        return { ok: true, detail: `restored and promoted in ${(recovery.totalMs / 1000).toFixed(1)} s (copy ${(recovery.copyMs / 1000).toFixed(1)} s, WAL replay ${(recovery.recoveryMs / 1000).toFixed(1)} s) to ${recovery.endLsn}${recovery.lastTransactionAt ? `, last transaction ${recovery.lastTransactionAt}` : ''}` };
      });
      if (restored && scratch) {
        const s = scratch;
        const dbs = new Set((await s.query('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate')).map((r) => String(r.datname)));
        if (dbs.has('auth_db')) {
          await check('smoke: SELECT COUNT(*) FROM users', async () => {
            const [row] = await s.query('auth_db', 'SELECT COUNT(*)::bigint AS n FROM users');
            const n = Number(row?.n);
            return { ok: n > 0, detail: `auth_db.users has ${n} rows` };
          });
        }
        await check('tables', async () => {
          const problems: string[] = [];
          let tables = 0;
          for (const dump of manifest.dumps) {
            if (!dbs.has(dump.database)) {
              problems.push(`database ${dump.database} is missing`);
              continue;
            }
            const present = new Set((await s.query(dump.database, "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p')")).map((r) => String(r.name)));
            for (const t of dump.tables) {
              tables++;
              if (!present.has(t.name)) problems.push(`${dump.database}.${t.name} is missing`);
            }
          }
          return problems.length ? { ok: false, detail: problems.join('; ') } : { ok: true, detail: `${tables} tables of the manifest present in the restored cluster` };
        });
        if (!options.skipAmcheck) {
          await check('pg_amcheck', async () => {
            const amcheck = maybeLowPriority(options.background, options.binaries.bin('pg_amcheck'), ['--all', '--install-missing', '--no-strict-names']);
            await runCommand(amcheck.file, amcheck.args, { env: s.clientEnv(), timeoutMs: options.timeoutMs ?? 3_600_000 });
            return { ok: true, detail: 'every table and B-tree index of every database checked, no corruption' };
          });
        }
        for (const dump of manifest.dumps) {
          await check(`dump ${dump.database}`, async () => {
            const scratchDb = `pgdrill_verify_${dump.database}`.slice(0, 63);
            await s.query('postgres', `CREATE DATABASE ${pg.escapeIdentifier(scratchDb)}`);
            const restore = maybeLowPriority(options.background, options.binaries.bin('pg_restore'), ['--exit-on-error', '-d', scratchDb, path.join(backupDir, dump.file)]);
            await runCommand(restore.file, restore.args, { env: s.clientEnv(scratchDb), timeoutMs: options.timeoutMs ?? 3_600_000 });
            const wrong: string[] = [];
            for (const t of dump.tables) {
              const [row] = await s.query(scratchDb, `SELECT count(*)::bigint AS n FROM ${tableIdentifier(t.name)}`);
              const n = Number(row?.n);
              if (n !== t.rows) wrong.push(`${t.name}: ${n} rows, manifest says ${t.rows}`);
            }
            const rows = dump.tables.reduce((sum, t) => sum + t.rows, 0);
            return wrong.length ? { ok: false, detail: wrong.join('; ') } : { ok: true, detail: `restored; ${dump.tables.length} tables, ${rows} rows, every count equal to the manifest` };
          });
        }
      }
    } finally {
      const s = scratch as ScratchCluster | undefined;
      if (s) await s.destroy();
    }
  } else {
    checks.push({ name: 'restore', ok: false, detail: 'this backup has no base backup: only dumps (restore them with pg_restore)', durationMs: 0 });
  }

  const ok = checks.length > 0 && checks.every((c) => c.ok);
  const report: VerifyReport = { backupId: manifest.id, ok, checks, restoreMs: (recovery as RecoveryReport | null)?.totalMs ?? null, recovery, totalMs: performance.now() - t0 };
  const aborted = abortedScopeReason();
  if (aborted !== undefined) {
    // An interrupted verification says nothing about the backup: it is not recorded as failed.
    report.ok = false;
    report.interrupted = errorMessage(aborted);
    return report;
  }
  try {
    writeVerifyRecord(backupDir, { at: new Date().toISOString(), ok, restoreMs: report.restoreMs, failed: checks.filter((c) => !c.ok).map((c) => c.name) });
  } catch {
    // a read-only backup store: the report still stands
  }
  return report;
}
