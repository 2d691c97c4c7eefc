import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import pg from 'pg';
import { BugError, UserError, describeError } from '../core/errors.ts';
import { runCommand } from '../util/run-command.ts';
import { copiedColumns, rowKey, verifiedCopy } from './verified-copy.ts';
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
  const [switched] = await lab.query('postgres', 'SELECT pg_walfile_name(pg_switch_wal()) AS segment');
  const out = String(switched?.segment);
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
  const databases = options.database ? [options.database] : (await lab.query('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY 1')).map((r) => String(r.datname));
  const hits: Array<{ database: string; oid: number; relfilenode: number }> = [];
  for (const db of databases) {
    const [row] = await lab.query(db, "SELECT c.oid::int AS oid, pg_relation_filenode(c.oid)::int AS filenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r','p')", [statement.schema, statement.table]);
    if (row) hits.push({ database: db, oid: Number(row.oid), relfilenode: Number(row.filenode) });
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
  const [databaseRow] = await lab.query('postgres', 'SELECT oid::int AS oid FROM pg_database WHERE datname = $1', [database]);
  const databaseOid = Number(databaseRow?.oid);
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

/** What a copy-back did, per table. */
export interface CopyBackResult {
  tables: Array<{ table: string; rowsInSide: number; inserted: number; recreated: boolean }>;
}

/**
 * Copies one table (and the tables whose foreign keys cascade from it,
 * whose rows the same DELETE took) from the side cluster back into the
 * live lab database, as superuser: rows missing from the live table are
 * inserted (`INSERT ... SELECT ... ON CONFLICT DO NOTHING`), so writes
 * made since the accident are kept. A dropped table is recreated from the
 * side cluster's definition (`pg_dump --schema-only -t`: columns, indexes,
 * triggers, grants) and filled in the same transaction, then the foreign
 * keys that its DROP ... CASCADE removed are added back. Every copy checks,
 * before it commits, that the rows that arrived are the side cluster's
 * (count and a checksum over the key; see `verifiedCopy`), and rolls back
 * otherwise.
 */
export async function copyTableBack(lab: Lab, side: ScratchCluster, database: string, schema: string, table: string): Promise<CopyBackResult> {
  const qualified = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
  const [live] = await lab.query(database, 'SELECT to_regclass($1) IS NOT NULL AS present', [qualified]);
  const result: CopyBackResult = { tables: [] };
  if (!live?.present) {
    const ddl = await runCommand(lab.pg().bin('pg_dump'), ['--schema-only', '-t', qualified, '-d', database], { env: side.clientEnv(database), timeoutMs: 600_000 }).catch((error: unknown) => {
      throw new UserError(`Reading the definition of ${schema}.${table} from the side cluster failed: ${describeError(error)}`, 'Check that the side cluster is still running, then run the step again.');
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-ddl-'));
    try {
      const file = path.join(dir, 'table.sql');
      writeFileSync(file, ddl.stdout);
      const cols = await copiedColumns(side, database, qualified);
      const copied = await verifiedCopy(lab, side, {
        label: `${schema}.${table}`,
        database,
        select: `SELECT ${cols} FROM ${qualified}`,
        key: await rowKey(side, database, qualified, cols),
        prepare: [`\\i ${file}`],
        into: `${qualified} (${cols})`,
        received: qualified,
        apply: [],
      });
      result.tables.push({ table: `${schema}.${table}`, rowsInSide: copied.expected.rows, inserted: copied.expected.rows, recreated: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const fks = await side.query(database, "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass AND conrelid <> confrelid", [qualified]);
    for (const fk of fks) {
      const [present] = await lab.query(database, 'SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = to_regclass($2)', [String(fk.conname), String(fk.tbl)]);
      if (!present) await lab.query(database, `ALTER TABLE ${String(fk.tbl)} ADD CONSTRAINT ${pg.escapeIdentifier(String(fk.conname))} ${String(fk.def)}`);
    }
    return result;
  }
  // The table and, parent first, the tables whose rows a DELETE on it cascaded to.
  const cascaded = await side.query(database, "WITH RECURSIVE deps(rel, depth) AS (SELECT $1::regclass::oid, 0 UNION SELECT c.conrelid, d.depth + 1 FROM pg_constraint c JOIN deps d ON c.confrelid = d.rel WHERE c.contype = 'f' AND c.confdeltype = 'c' AND c.conrelid <> c.confrelid AND d.depth < 10) SELECT n.nspname AS schema, cl.relname AS name, max(depth) AS depth FROM deps JOIN pg_class cl ON cl.oid = deps.rel JOIN pg_namespace n ON n.oid = cl.relnamespace GROUP BY 1, 2 ORDER BY 3, 1, 2", [qualified]);
  for (const t of cascaded) {
    const q = `${pg.escapeIdentifier(String(t.schema))}.${pg.escapeIdentifier(String(t.name))}`;
    const [present] = await lab.query(database, 'SELECT to_regclass($1) IS NOT NULL AS present', [q]);
    if (!present?.present) continue;
    const cols = await copiedColumns(lab, database, q);
    const copied = await verifiedCopy(lab, side, {
      label: `${t.schema}.${t.name}`,
      database,
      select: `SELECT ${cols} FROM ${q}`,
      key: await rowKey(side, database, q, cols),
      prepare: [`CREATE TEMP TABLE pgdrill_copy_back (LIKE ${q}) ON COMMIT DROP`],
      into: `pgdrill_copy_back (${cols})`,
      received: 'pgdrill_copy_back',
      apply: [`WITH ins AS (INSERT INTO ${q} (${cols}) SELECT ${cols} FROM pgdrill_copy_back ON CONFLICT DO NOTHING RETURNING 1) SELECT 'inserted:' || count(*) FROM ins`],
    });
    result.tables.push({ table: `${t.schema}.${t.name}`, rowsInSide: copied.expected.rows, inserted: insertedCount(copied.output), recreated: false });
  }
  return result;
}

/** The `inserted:N` line an apply command printed. */
export function insertedCount(output: string): number {
  const found = /^inserted:(\d+)$/m.exec(output);
  if (!found) throw new BugError(`the copy committed but printed no inserted count: ${output.trim().slice(-200)}`);
  return Number(found[1]);
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
