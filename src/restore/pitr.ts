import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { labBackupRoot, labScratchRoot } from '../backup/lab-backups.ts';
import { lsnToBigInt, type BackupManifest } from '../backup/manifest.ts';
import { listBackups, type StoredBackup } from '../backup/store.ts';
import type { Lab } from '../lab/lab.ts';
import { ScratchCluster, type RecoveryTarget } from '../lab/scratch-cluster.ts';
import { resolveServerUser } from '../lab/server-user.ts';
import type { CleanupStack } from '../util/cleanup.ts';
import { sleep } from '../util/sleep.ts';
import { findBadTransaction, parseBadStatement, type FoundTransaction } from './find-transaction.ts';

/**
 * Closes the current WAL segment of the running lab (`pg_switch_wal()`)
 * and waits until the archiver has copied it, so that every transaction
 * committed so far can be replayed from the archive. Returns the segment.
 */
export async function archiveCurrentWal(lab: Lab, timeoutMs = 30_000): Promise<string> {
  const out = (await lab.psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())')).trim();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path.join(lab.paths.archiveDir, out))) return out;
    const archiver = await lab.archiverHealth();
    if (archiver.problem) throw new UserError(`The lab could not archive WAL segment ${out}. ${archiver.problem}`, `Fix the archiver (\`pgdrill lab status\` shows it), then run this step again.`);
    await sleep(100);
  }
  throw new UserError(`WAL segment ${out} was not archived within ${Math.round(timeoutMs / 1000)} s.`, `Read the server log (${lab.paths.logFile}).`);
}

/** A bad statement located in the lab's WAL archive: the table it hit and its transaction. */
export interface LocatedBadTransaction extends FoundTransaction {
  database: string;
  schema: string;
  table: string;
  kind: 'delete' | 'drop' | 'truncate';
}

function tableFromManifests(backups: StoredBackup[], database: string | undefined, schema: string, table: string): { database: string; oid: number } | undefined {
  for (const b of [...backups].reverse()) {
    for (const d of b.manifest?.dumps ?? []) {
      if (database && d.database !== database) continue;
      const t = d.tables.find((x) => x.name === `${schema}.${table}`);
      if (t) return { database: d.database, oid: t.oid };
    }
  }
  return undefined;
}

/**
 * Finds the last committed transaction matching `pattern` ("DELETE FROM
 * payments", "DROP TABLE payments") in the lab's archived WAL. The database
 * is found by the table's name (live catalogs, else the backups'
 * manifests) unless given.
 */
export async function locateBadTransaction(lab: Lab, pattern: string, options: { database?: string; fromWalFile?: string } = {}): Promise<LocatedBadTransaction> {
  const statement = parseBadStatement(pattern);
  const databases = options.database ? [options.database] : (await lab.psql('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1')).trim().split('\n').filter(Boolean);
  const hits: Array<{ database: string; oid: number; relfilenode: number }> = [];
  for (const db of databases) {
    const row = (await lab.psql(db, `SELECT c.oid, pg_relation_filenode(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${statement.schema.replace(/'/g, "''")}' AND c.relname = '${statement.table.replace(/'/g, "''")}' AND c.relkind IN ('r','p')`)).trim();
    if (row) {
      const [oid, filenode] = row.split('|').map(Number);
      hits.push({ database: db, oid: oid!, relfilenode: filenode! });
    }
  }
  if (hits.length > 1) throw new UserError(`The table ${statement.schema}.${statement.table} exists in several databases (${hits.map((h) => h.database).join(', ')}).`, 'Say which one with --database.');
  let database = hits[0]?.database;
  let tableOid = hits[0]?.oid;
  const relfilenode = hits[0]?.relfilenode;
  if (!database) {
    if (statement.kind === 'delete') throw new UserError(`There is no table ${statement.schema}.${statement.table} in ${options.database ?? 'any database of the lab'}.`, 'Check the table name, or use --database.');
    const known = tableFromManifests(listBackups(labBackupRoot(lab)), options.database, statement.schema, statement.table);
    if (!known && !options.database) throw new UserError(`The table ${statement.schema}.${statement.table} no longer exists and no backup manifest names it.`, 'Say which database it was in with --database.');
    database = known?.database ?? options.database!;
    tableOid = known?.oid;
  }
  if (statement.kind === 'truncate') tableOid = hits[0]?.oid ?? tableOid;
  const databaseOid = Number((await lab.psql('postgres', `SELECT oid FROM pg_database WHERE datname = '${database.replace(/'/g, "''")}'`)).trim());
  const found = await findBadTransaction({ archiveDir: lab.paths.archiveDir, binaries: lab.pg(), statement, databaseOid, relfilenode, tableOid, fromWalFile: options.fromWalFile });
  return { ...found, database, schema: statement.schema, table: statement.table, kind: statement.kind };
}

/**
 * The newest complete base backup from which `target` can be reached: it
 * must have ended before the target (its end LSN before a target LSN, its
 * end time before a target time). For an xid target without an LSN, the
 * newest base backup.
 */
export function chooseBaseBackup(lab: Lab, target: RecoveryTarget, targetLsn?: string): StoredBackup & { manifest: BackupManifest } {
  const all = listBackups(labBackupRoot(lab)).filter((b) => b.manifest?.base) as Array<StoredBackup & { manifest: BackupManifest }>;
  let usable = all;
  const lsn = target.kind === 'lsn' ? target.lsn : targetLsn;
  if (lsn) usable = all.filter((b) => lsnToBigInt(b.manifest.base!.endLsn) < lsnToBigInt(lsn));
  else if (target.kind === 'time') usable = all.filter((b) => new Date(b.manifest.finishedAt).getTime() < new Date(target.time).getTime());
  const found = usable.pop();
  if (!found) {
    throw new UserError(
      all.length ? `No base backup of the lab ended before the recovery target (${lsn ?? (target.kind === 'time' ? target.time : target.kind)}): a point-in-time recovery cannot go back before its base backup.` : `There is no complete base backup in ${labBackupRoot(lab)}.`,
      all.length ? 'Choose a later target, or accept the loss since the oldest backup.' : 'Take one with `pgdrill backup run` (and keep taking them: PITR starts from a base backup).',
    );
  }
  return found;
}

/** A side cluster: the lab as it was at the recovery target, running beside it. */
export interface SideCluster {
  cluster: ScratchCluster;
  backup: StoredBackup & { manifest: BackupManifest };
  target: RecoveryTarget;
}

/**
 * Point-in-time recovery of the lab into a side cluster: the right base
 * backup copied, the lab's WAL archive replayed up to `target`, promoted,
 * running on its own loopback port (never archiving). The caller destroys
 * it (or adopts it with `switchLabTo`); it is on `cleanup` when given.
 */
export async function restoreSideCluster(lab: Lab, target: RecoveryTarget, options: { targetLsn?: string; cleanup?: CleanupStack; log?: (line: string) => void; name?: string } = {}): Promise<SideCluster> {
  const backup = chooseBaseBackup(lab, target, options.targetLsn);
  options.log?.(`Restoring base backup ${backup.id} (WAL ${backup.manifest.base!.startLsn} → ${backup.manifest.base!.endLsn}) into a side cluster, recovery target ${describeTarget(target)}.`);
  const cluster = await ScratchCluster.restore(path.join(backup.dir, backup.manifest.base!.dir), {
    binaries: lab.pg(),
    user: resolveServerUser(),
    root: labScratchRoot(lab),
    name: options.name ?? `side-${Date.now().toString(36)}`,
    archiveDir: lab.paths.archiveDir,
    target,
    superuser: backup.manifest.source.superuser,
    cleanup: options.cleanup,
    log: options.log,
  });
  return { cluster, backup, target };
}

/** A recovery target for people. */
export function describeTarget(target: RecoveryTarget): string {
  switch (target.kind) {
    case 'end':
      return 'end of the archive';
    case 'immediate':
      return 'end of the base backup';
    case 'time':
      return `time ${target.time}${target.inclusive === false ? ' (exclusive)' : ''}`;
    case 'lsn':
      return `LSN ${target.lsn}${target.inclusive === false ? ' (exclusive)' : ''}`;
    case 'xid':
      return `${target.inclusive === false ? 'just before' : 'through'} transaction ${target.xid}`;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Pipes `psql -c COPY ... TO STDOUT` of one cluster into a psql session of another; resolves with the receiver's stdout. */
export function pipeCopy(psql: string, from: { env: NodeJS.ProcessEnv; sql: string }, to: { env: NodeJS.ProcessEnv; commands: string[] }): Promise<string> {
  return new Promise((resolve, reject) => {
    const sender = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', from.sql], { env: from.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const receiver = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-A', '-t', ...to.commands.flatMap((c) => ['-c', c])], { env: to.env, stdio: ['pipe', 'pipe', 'pipe'] });
    sender.stdout.pipe(receiver.stdin);
    let out = '';
    let errs = '';
    sender.stderr.setEncoding('utf8').on('data', (d: string) => { errs += d; });
    receiver.stderr.setEncoding('utf8').on('data', (d: string) => { errs += d; });
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    receiver.stdin.on('error', () => {});
    let senderCode: number | null = null;
    sender.on('close', (c) => { senderCode = c; });
    receiver.on('close', (code) => {
      const finish = () => (code === 0 && senderCode === 0 ? resolve(out) : reject(new UserError(`Copying rows between the side cluster and the lab failed: ${errs.trim().split('\n').slice(-3).join(' ')}`)));
      if (senderCode === null) sender.on('close', () => finish());
      else finish();
    });
  });
}

/** What a copy-back did, per table. */
export interface CopyBackResult {
  tables: Array<{ table: string; rowsInSide: number; inserted: number; recreated: boolean }>;
}

/**
 * Copies one table (and the tables whose foreign keys cascade from it,
 * whose rows the same DELETE took) from the side cluster back into the
 * live lab database, as superuser: rows missing from the live table are
 * inserted (`INSERT ... SELECT ... ON CONFLICT DO NOTHING`), so writes
 * made since the accident are kept. A dropped table is recreated first
 * from the side cluster (`pg_dump -t` piped into `pg_restore`: columns,
 * indexes, triggers, grants), then the foreign keys that its DROP ...
 * CASCADE removed are added back.
 */
export async function copyTableBack(lab: Lab, side: ScratchCluster, database: string, schema: string, table: string): Promise<CopyBackResult> {
  const psql = lab.pg().bin('psql');
  const qualified = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const liveEnv = { ...lab.clientEnv(), PGDATABASE: database };
  const exists = (await lab.psql(database, `SELECT to_regclass(${lit(qualified)}) IS NOT NULL`)).trim() === 't';
  const result: CopyBackResult = { tables: [] };
  if (!exists) {
    const dump = spawn(lab.pg().bin('pg_dump'), ['-Fc', '-t', qualified, '-d', database], { env: side.clientEnv(database), stdio: ['ignore', 'pipe', 'pipe'] });
    const restore = spawn(lab.pg().bin('pg_restore'), ['--exit-on-error', '-d', database], { env: liveEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    dump.stdout.pipe(restore.stdin);
    let errs = '';
    dump.stderr.setEncoding('utf8').on('data', (d: string) => { errs += d; });
    restore.stderr.setEncoding('utf8').on('data', (d: string) => { errs += d; });
    const codes = await Promise.all([new Promise<number | null>((r) => dump.on('close', r)), new Promise<number | null>((r) => restore.on('close', r))]);
    if (codes.some((c) => c !== 0)) throw new UserError(`Recreating ${qualified} in ${database} from the side cluster failed: ${errs.trim().split('\n').slice(-3).join(' ')}`);
    const [sideCount] = await side.query(database, `SELECT count(*)::bigint AS n FROM ${qualified}`);
    result.tables.push({ table: `${schema}.${table}`, rowsInSide: Number(sideCount?.n ?? 0), inserted: Number(sideCount?.n ?? 0), recreated: true });
    const fks = await side.query(database, `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND confrelid = ${lit(qualified)}::regclass AND conrelid <> confrelid`);
    for (const fk of fks) {
      const present = (await lab.psql(database, `SELECT 1 FROM pg_constraint WHERE conname = ${lit(String(fk.conname))} AND conrelid = to_regclass(${lit(String(fk.tbl))})`)).trim();
      if (!present) await lab.psql(database, `ALTER TABLE ${String(fk.tbl)} ADD CONSTRAINT ${quoteIdent(String(fk.conname))} ${String(fk.def)}`);
    }
    return result;
  }
  // The table and, parent first, the tables whose rows a DELETE on it cascaded to.
  const cascaded = await side.query(database, `WITH RECURSIVE deps(rel, depth) AS (SELECT ${lit(qualified)}::regclass::oid, 0 UNION SELECT c.conrelid, d.depth + 1 FROM pg_constraint c JOIN deps d ON c.confrelid = d.rel WHERE c.contype = 'f' AND c.confdeltype = 'c' AND c.conrelid <> c.confrelid AND d.depth < 10) SELECT n.nspname AS schema, cl.relname AS name, max(depth) AS depth FROM deps JOIN pg_class cl ON cl.oid = deps.rel JOIN pg_namespace n ON n.oid = cl.relnamespace GROUP BY 1, 2 ORDER BY 3, 1, 2`);
  for (const t of cascaded) {
    const q = `${quoteIdent(String(t.schema))}.${quoteIdent(String(t.name))}`;
    if ((await lab.psql(database, `SELECT to_regclass(${lit(q)}) IS NOT NULL`)).trim() !== 't') continue;
    const cols = (await lab.psql(database, `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = ${lit(q)}::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`)).trim();
    const [sideCount] = await side.query(database, `SELECT count(*)::bigint AS n FROM ${q}`);
    const out = await pipeCopy(
      psql,
      { env: side.clientEnv(database), sql: `COPY (SELECT ${cols} FROM ${q}) TO STDOUT` },
      {
        env: liveEnv,
        commands: [
          'SET statement_timeout = 0',
          'BEGIN',
          `CREATE TEMP TABLE pgdrill_copy_back (LIKE ${q}) ON COMMIT DROP`,
          `\\copy pgdrill_copy_back (${cols}) FROM pstdin`,
          `WITH ins AS (INSERT INTO ${q} (${cols}) SELECT ${cols} FROM pgdrill_copy_back ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM ins`,
          'COMMIT',
        ],
      },
    );
    const inserted = Number(out.trim().split('\n').filter((l) => /^\d+$/.test(l.trim())).pop() ?? 0);
    result.tables.push({ table: `${t.schema}.${t.name}`, rowsInSide: Number(sideCount?.n ?? 0), inserted, recreated: false });
  }
  return result;
}

/**
 * Makes the side cluster the lab's cluster: the lab's server stops, its
 * data directory is kept aside (returned) unless `keepOld` is false, the
 * side cluster's data directory takes its place and the lab starts again on
 * its own port (so the proxy and the service find it where they were).
 */
export async function switchLabTo(lab: Lab, side: ScratchCluster, options: { keepOld?: boolean } = {}): Promise<{ oldDataDir: string | null }> {
  const dataDir = await side.detachDataDir();
  try {
    return await lab.adoptDataDir(dataDir, { keepOld: options.keepOld ?? true });
  } finally {
    rmSync(side.dir, { recursive: true, force: true });
  }
}

/**
 * Stops and removes every scratch or side cluster left beside the lab (a
 * runbook interrupted between restoring and cleaning up). Idempotent.
 */
export async function removeScratchClusters(lab: Lab): Promise<string[]> {
  return lab.stopScratchClusters({ remove: true });
}
