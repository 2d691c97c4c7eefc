import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { labScratchRoot } from '../../backup/lab-backups.ts';
import { labSource, urlSource, type BackupSource } from '../../backup/source.ts';
import { findBackup, listBackups, pruneBackups } from '../../backup/store.ts';
import { BACKUP_DIR_ROLE, takeBackup } from '../../backup/take-backup.ts';
import { verifyBackup } from '../../backup/verify-backup.ts';
import { Lab, defaultLabDir } from '../../lab/lab.ts';
import { findPgBinaries } from '../../lab/pg-binaries.ts';
import { readLabState } from '../../lab/lab-state.ts';
import { resolveServerUser } from '../../lab/server-user.ts';
import { formatDuration } from '../../report/format.ts';
import { CleanupStack } from '../../util/cleanup.ts';
import { checkDirPath } from '../../util/safe-dir.ts';
import { LAB_DIR_ROLE } from '../../lab/lab-dir.ts';
import { say, warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Where the backups are: --backup-dir, else <lab-dir>/backups; checked to be a directory (or not there yet), never on a pseudo-filesystem. */
function backupRootOf(flags: { labDir?: string; backupDir?: string }, options: { writable: boolean }): string {
  if (flags.backupDir) return checkDirPath(flags.backupDir, BACKUP_DIR_ROLE, options);
  return path.join(checkDirPath(flags.labDir ?? defaultLabDir(), LAB_DIR_ROLE, options), 'backups');
}

async function runningLab(labDir: string | undefined): Promise<Lab> {
  const lab = new Lab({ labDir, log: (line) => warn(`· ${line}`) });
  if (!(await lab.isRunning())) throw new UserError(`The lab in ${lab.labDir} is not running, so there is nothing to back up.`, 'Start it with `pgdrill lab up`, or back up another server with --url.');
  return lab;
}

/** `pgdrill backup run | list | prune | verify`: backups, and the proof that they restore. */
export function registerBackup(program: Command, setExit: (code: number) => void): void {
  const backup = program.command('backup').description(commandSummary('backup'));
  const labDirOption = ['--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)'] as const;
  const backupDirOption = ['--backup-dir <dir>', 'where backups live (default: <lab-dir>/backups)'] as const;

  backup
    .command('run')
    .description('take a physical base backup (pg_basebackup, with its manifest) and a pg_dump -Fc of each seed database')
    .option('--target <target>', 'what to back up: lab', 'lab')
    .option('--url <url>', 'back up this server instead of the lab (a superuser URL with replication rights)')
    .option(...labDirOption)
    .option(...backupDirOption)
    .option('--no-dumps', 'skip the logical dumps')
    .option('--no-base', 'skip the physical base backup')
    .option('--json', 'print the manifest as JSON')
    .action(async (flags: { target: string; url?: string; labDir?: string; backupDir?: string; dumps: boolean; base: boolean; json?: boolean }) => {
      if (flags.target !== 'lab' && !flags.url) throw new UserError(`--target "${flags.target}" is not a target pgdrill backup knows.`, 'Use --target lab (the default), or --url postgres://user:password@host:port/database for another server.');
      if (flags.backupDir) checkDirPath(flags.backupDir, BACKUP_DIR_ROLE);
      let source: BackupSource;
      if (flags.url) source = urlSource(flags.url, path.resolve(flags.labDir ?? defaultLabDir()));
      else source = labSource(await runningLab(flags.labDir));
      const { dir, manifest } = await takeBackup(source, {
        backupRoot: flags.backupDir ? path.resolve(flags.backupDir) : undefined,
        base: flags.base,
        databases: flags.dumps ? undefined : [],
        onProgress: (line) => warn(`· ${line}`),
      });
      if (flags.json) return say(JSON.stringify(manifest, null, 2));
      say(`Backup ${manifest.id} of ${manifest.source.name} in ${dir}`);
      if (manifest.base) say(`  base backup  ${mib(manifest.base.bytes)}, ${manifest.base.files} files, WAL ${manifest.base.startLsn} → ${manifest.base.endLsn} (timeline ${manifest.base.timeline}), ${formatDuration(manifest.base.durationMs)}`);
      for (const d of manifest.dumps) say(`  pg_dump      ${d.database}: ${mib(d.bytes)}, ${d.tables.length} tables, ${d.tables.reduce((s, t) => s + t.rows, 0)} rows, ${formatDuration(d.durationMs)}`);
      say(`  total        ${mib(manifest.totalBytes)} in ${formatDuration(manifest.durationMs)}; SHA-256 of ${Object.keys(manifest.files).length} files in manifest.json`);
      say('A backup is proven only by a restore: run `pgdrill backup verify`.');
    });

  backup
    .command('list')
    .description('list backups, oldest first, with their size, WAL range and last verification')
    .option(...labDirOption)
    .option(...backupDirOption)
    .option('--json', 'print as JSON')
    .action((flags: { labDir?: string; backupDir?: string; json?: boolean }) => {
      const root = backupRootOf(flags, { writable: false });
      const all = listBackups(root);
      if (flags.json) {
        return say(JSON.stringify(all.map((b) => ({ id: b.id, dir: b.dir, complete: Boolean(b.manifest), problem: b.problem ?? null, createdAt: b.createdAt.toISOString(), totalBytes: b.manifest?.totalBytes ?? null, base: b.manifest?.base ?? null, dumps: b.manifest?.dumps.map((d) => d.database) ?? [], verified: b.verified ?? null })), null, 2));
      }
      if (all.length === 0) return say(`No backups in ${root}. Take one with \`pgdrill backup run\`.`);
      say(`Backups in ${root}:`);
      for (const b of all) {
        const m = b.manifest;
        if (!m) {
          say(`  ${b.id}  INCOMPLETE  ${b.problem}`);
          continue;
        }
        const ageDays = (Date.now() - b.createdAt.getTime()) / 86_400_000;
        const verified = b.verified ? (b.verified.ok ? `verified ${b.verified.at}${b.verified.restoreMs !== null ? ` (restore ${formatDuration(b.verified.restoreMs)})` : ''}` : `VERIFY FAILED ${b.verified.at} (${b.verified.failed.join(', ')})`) : 'not verified';
        say(`  ${b.id}  ${mib(m.totalBytes).padStart(10)}  ${m.base ? `base ${m.base.startLsn}→${m.base.endLsn}` : 'no base'}  dumps: ${m.dumps.length}  age ${ageDays.toFixed(1)} d  ${verified}`);
      }
    });

  backup
    .command('prune')
    .description("remove backups older than --keep-days (the seed's retention: 30); the newest complete backup is always kept")
    .requiredOption('--keep-days <n>', 'keep backups younger than this many days', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`"${v}" is not a number of days (0 or more).`);
      return n;
    })
    .option('--dry-run', 'only show what would be removed')
    .option(...labDirOption)
    .option(...backupDirOption)
    .action((flags: { keepDays: number; dryRun?: boolean; labDir?: string; backupDir?: string }) => {
      const root = backupRootOf(flags, { writable: !flags.dryRun });
      const { removed, kept } = pruneBackups(root, flags.keepDays, { dryRun: flags.dryRun });
      for (const b of removed) say(`${flags.dryRun ? 'would remove' : 'removed'}  ${b.id}${b.manifest ? '' : ' (incomplete)'}`);
      say(`${flags.dryRun ? 'Would remove' : 'Removed'} ${removed.length} backup(s) older than ${flags.keepDays} day(s); kept ${kept.length}.`);
    });

  backup
    .command('verify')
    .description('restore a backup for real into a scratch cluster (base backup + archived WAL, dumps into scratch databases), smoke-test it, remove it')
    .argument('[backup]', 'backup id or directory (default: the newest)')
    .option(...labDirOption)
    .option(...backupDirOption)
    .option('--skip-amcheck', 'do not run pg_amcheck (it reads every page)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit codes: 0 the restore worked and every check passed, 2 the backup did not restore or a check failed, 1 the verification could not run.')
    .action(async (id: string | undefined, flags: { labDir?: string; backupDir?: string; skipAmcheck?: boolean; json?: boolean }) => {
      const root = backupRootOf(flags, { writable: false });
      const labDir = path.resolve(flags.labDir ?? defaultLabDir());
      const found = findBackup(root, id);
      const cleanup = new CleanupStack(60_000);
      let scratchRoot: string;
      if (readLabState(labDir)) {
        scratchRoot = labScratchRoot(new Lab({ labDir }));
      } else {
        scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-scratch-'));
        chmodSync(scratchRoot, 0o755);
        cleanup.defer('remove the scratch directory', () => rmSync(scratchRoot, { recursive: true, force: true }));
      }
      try {
        // A signal stops the verification's processes (cp, pg_ctl, psql, pg_amcheck) before the cleanup removes the scratch cluster.
        const report = await cleanup.scope(() => verifyBackup(found.dir, found.manifest, {
          binaries: findPgBinaries(),
          user: resolveServerUser(),
          scratchRoot,
          cleanup,
          skipAmcheck: flags.skipAmcheck,
          onProgress: (line) => warn(`· ${line}`),
        }));
        if (flags.json) say(JSON.stringify(report, null, 2));
        else if (report.interrupted) {
          say(`Backup ${report.backupId}: not verified — ${report.interrupted}; nothing was recorded.`);
        } else {
          say(`Backup ${report.backupId}: ${report.ok ? 'VERIFIED' : 'FAILED'} — a real restore ${report.restoreMs !== null ? `took ${formatDuration(report.restoreMs)} (RTO evidence)` : 'did not complete'}.`);
          for (const c of report.checks) say(`  ${c.ok ? '✓' : '✗'} ${c.name.padEnd(32)} ${formatDuration(c.durationMs).padStart(7)}  ${c.detail}`);
        }
        setExit(report.ok ? ExitCode.ok : ExitCode.objectiveBreached);
      } finally {
        await cleanup.dispose();
      }
    });
}
