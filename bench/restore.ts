/**
 * `npm run bench -- restore`: how fast pgdrill's restore path rebuilds a
 * cluster, against a raw copy of the same data on the same disk.
 *
 * A lab of its own is filled with generated data (`--gb`, default 1 GB, in
 * a `bench_db` database), a base backup is taken, more rows are written
 * afterwards (`--replay-mb` of table data, default 10% of `--gb`) so that
 * WAL must be replayed, and the archive is closed. Then:
 *
 * - **restore + replay**: `ScratchCluster.restore` (the code `backup verify`,
 *   `restore` and the runbooks use): copy of the base backup, start,
 *   replay of every archived segment, promotion, until the cluster accepts
 *   writes;
 * - **raw copy**: `cp -a` of the lab's stopped data directory into the
 *   same temporary directory.
 *
 * Throughput is bytes of the resulting data directory per second of wall
 * time, in MB/s (1 MB = 1,000,000 B); the ratio restore / raw copy is
 * judged against the target (≥ 0.5). Both read through the same page cache
 * (nothing is dropped: other work on the machine is left alone), so the raw
 * copy is the disk's best case. Everything it starts is stopped and removed
 * at the end, on failure and on SIGINT/SIGTERM.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { backupLab, labScratchRoot } from '../src/backup/lab-backups.ts';
import { Lab } from '../src/lab/lab.ts';
import { ScratchCluster } from '../src/lab/scratch-cluster.ts';
import { copyTree } from '../src/lab/server-process.ts';
import { resolveServerUser } from '../src/lab/server-user.ts';
import { archiveCurrentWal } from '../src/restore/pitr.ts';
import { CleanupStack } from '../src/util/cleanup.ts';
import { runCommand } from '../src/util/run-command.ts';

/** The target of issue 5: restore + replay at least half as fast as a raw copy. */
export const RESTORE_TARGET_RATIO = 0.5;

/** Flags of the restore benchmark. */
export interface RestoreBenchOptions {
  /** Generated data before the base backup, GB (`--gb`, default 1). */
  gb: number;
  /** Table data written after the backup (replayed from the archive), MB (`--replay-mb`, default 10% of --gb). */
  replayMb: number;
  help: boolean;
}

const USAGE = `usage: npm run bench -- restore [--gb <n>] [--replay-mb <n>]

  --gb <n>         generated data in the lab before the base backup, in GB (default 1)
  --replay-mb <n>  table data written after the backup, replayed from the WAL archive, in MB (default 10% of --gb)
`;

/** Parses the flags of `npm run bench -- restore`. */
export function parseRestoreBenchArgs(argv: string[]): RestoreBenchOptions {
  const { values } = parseArgs({ args: argv, options: { gb: { type: 'string' }, 'replay-mb': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  const gb = values.gb === undefined ? 1 : Number(values.gb);
  if (!Number.isFinite(gb) || gb <= 0 || gb > 500) throw new Error(`--gb wants a size in GB between 0 and 500, not "${values.gb}"`);
  const replayMb = values['replay-mb'] === undefined ? Math.round(gb * 100) : Number(values['replay-mb']);
  if (!Number.isFinite(replayMb) || replayMb < 0) throw new Error(`--replay-mb wants a size in MB (0 or more), not "${values['replay-mb']}"`);
  return { gb, replayMb, help: Boolean(values.help) };
}

/** Bytes of every file under `dir` (du, apparent sizes). */
async function treeBytes(dir: string): Promise<number> {
  const out = await runCommand('du', ['-s', '-b', dir], { timeoutMs: 600_000 });
  return Number(out.stdout.trim().split(/\s+/)[0]);
}

const ROW_BYTES = 1000; // ~960 bytes of text per row, stored inline (not compressed)

async function fill(lab: Lab, bytes: number, log: (line: string) => void, label: string): Promise<void> {
  const rows = Math.ceil(bytes / ROW_BYTES);
  const batch = 100_000;
  for (let done = 0; done < rows; done += batch) {
    const n = Math.min(batch, rows - done);
    await lab.psql('bench_db', `SET statement_timeout = 0; INSERT INTO filler SELECT g, repeat(md5(g::text), 30) FROM generate_series(${done + 1}, ${done + n}) g`);
    log(`${label}: ${Math.round(((done + n) * ROW_BYTES) / 1e6)} of ${Math.round(bytes / 1e6)} MB`);
  }
}

/** Runs the benchmark; resolves with the exit code (0 when the target is met, 2 when not). */
export async function runRestoreBenchmark(argv: string[]): Promise<number> {
  let options: RestoreBenchOptions;
  try {
    options = parseRestoreBenchArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`· ${line}\n`);
  const cleanup = new CleanupStack(120_000);
  const root = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-bench-restore-'));
  chmodSync(root, 0o755);
  cleanup.defer('remove the temporary directory', async () => rmSync(root, { recursive: true, force: true }));
  const lab = new Lab({ labDir: path.join(root, 'lab'), log });
  cleanup.defer('purge the benchmark lab', () => lab.down({ purge: true }).then(() => undefined));
  try {
    await lab.up('ephemeral');
    await lab.psql('postgres', 'CREATE DATABASE bench_db');
    await lab.psql('bench_db', 'CREATE TABLE filler (id bigint, pad text)');
    await fill(lab, options.gb * 1e9, log, 'generating');
    await lab.psql('postgres', 'CHECKPOINT');
    const { dir: backupDir, manifest } = await backupLab(lab, { databases: [], onProgress: (l) => log(`backup: ${l}`) });
    await lab.psql('bench_db', 'SET statement_timeout = 0; CREATE TABLE filler2 (LIKE filler)');
    if (options.replayMb > 0) await lab.psql('bench_db', `SET statement_timeout = 0; INSERT INTO filler2 SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, ${Math.ceil((options.replayMb * 1e6) / ROW_BYTES)}) g`);
    const walAfter = Number((await lab.psql('postgres', `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${manifest.base!.endLsn}')`)).trim());
    log(`archived ${await archiveCurrentWal(lab, 600_000)}; ${Math.round(walAfter / 1e6)} MB of WAL to replay after the base backup`);

    log('restore + replay into a scratch cluster');
    const scratch = await ScratchCluster.restore(path.join(backupDir, manifest.base!.dir), {
      binaries: lab.pg(),
      user: resolveServerUser(),
      root: labScratchRoot(lab),
      name: 'bench-restore',
      archiveDir: lab.paths.archiveDir,
      target: { kind: 'end' },
      superuser: manifest.source.superuser,
      cleanup,
    });
    const report = scratch.report!;
    const rows = Number((await scratch.psql('bench_db', 'SELECT count(*) FROM filler2')).trim());
    await scratch.stop();
    const restoredBytes = await treeBytes(scratch.dataDir);
    await scratch.destroy();

    await lab.down();
    const source = lab.paths.dataDir;
    const sourceBytes = await treeBytes(source);
    const copyTo = path.join(root, 'raw-copy');
    log(`raw copy: cp -a ${source} → ${copyTo}`);
    const cpMs = await copyTree(source, copyTo);
    rmSync(copyTo, { recursive: true, force: true });

    const restoreMBps = restoredBytes / 1e6 / (report.totalMs / 1000);
    const cpMBps = sourceBytes / 1e6 / (cpMs / 1000);
    const ratio = restoreMBps / cpMBps;
    const table = new Table({ head: ['', 'data', 'time', 'throughput'] });
    table.push(
      ['restore + replay', `${(restoredBytes / 1e9).toFixed(2)} GB`, `${(report.totalMs / 1000).toFixed(1)} s (copy ${(report.copyMs / 1000).toFixed(1)} s, replay ${(report.recoveryMs / 1000).toFixed(1)} s of ${Math.round(walAfter / 1e6)} MB WAL)`, `${restoreMBps.toFixed(0)} MB/s`],
      ['raw copy (cp -a)', `${(sourceBytes / 1e9).toFixed(2)} GB`, `${(cpMs / 1000).toFixed(1)} s`, `${cpMBps.toFixed(0)} MB/s`],
    );
    process.stdout.write(`${table.toString()}\n`);
    process.stdout.write(`replayed rows present after restore: ${rows}\n`);
    const met = ratio >= RESTORE_TARGET_RATIO;
    process.stdout.write(`restore / raw copy: ${ratio.toFixed(2)} (target ≥ ${RESTORE_TARGET_RATIO}) ${met ? 'MET' : 'NOT MET'}\n`);
    return met ? 0 : 2;
  } catch (error) {
    process.stderr.write(`restore benchmark failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    for (const failure of await cleanup.dispose()) process.stderr.write(`cleanup: ${failure}\n`);
  }
}
