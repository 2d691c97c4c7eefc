import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';

const TableSchema = z.object({ name: z.string(), oid: z.number().int(), rows: z.number().int() });

const DumpSchema = z.object({
  database: z.string(),
  file: z.string(),
  bytes: z.number().int(),
  durationMs: z.number(),
  /** Tables and their row counts in the exact snapshot the dump was taken from. */
  tables: z.array(TableSchema),
});

const ManifestSchema = z.object({
  format: z.literal('pgdrill-backup/1'),
  id: z.string(),
  createdAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  source: z.object({
    kind: z.enum(['lab', 'url']),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    superuser: z.string(),
    serverVersion: z.string(),
    systemIdentifier: z.string(),
  }),
  base: z
    .object({
      dir: z.string(),
      timeline: z.number().int(),
      startLsn: z.string(),
      endLsn: z.string(),
      /** The WAL segment holding the backup's start: replay needs every archived segment from here on. */
      startWalFile: z.string(),
      bytes: z.number().int(),
      files: z.number().int(),
      durationMs: z.number(),
    })
    .nullable(),
  dumps: z.array(DumpSchema),
  /** The WAL archive the base backup is meant to be replayed from, when known (the lab's). */
  walArchive: z.string().nullable(),
  totalBytes: z.number().int(),
  /** Size and SHA-256 of every file of the backup (paths relative to the backup directory), manifest.json excepted. */
  files: z.record(z.string(), z.object({ size: z.number().int(), sha256: z.string() })),
});

/**
 * `manifest.json` of one pgdrill backup: what was taken (a physical base
 * backup with its own `backup_manifest`, a `pg_dump -Fc` per database), when,
 * the WAL (LSN) range the base backup spans, sizes, durations, and a SHA-256
 * of every file. It is written last: a backup directory without it is
 * incomplete and never used for a restore.
 */
export type BackupManifest = z.infer<typeof ManifestSchema>;
/** One logical dump of a backup. */
export type DumpEntry = z.infer<typeof DumpSchema>;
/** A table with its row count at backup time. */
export type TableCount = z.infer<typeof TableSchema>;

export const MANIFEST_FILE = 'manifest.json';

/** Reads and validates a backup's manifest; a `UserError` when it is missing or not pgdrill's. */
export function readManifest(backupDir: string): BackupManifest {
  const file = path.join(backupDir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${backupDir} is not a complete pgdrill backup: ${file} cannot be read (${(error as Error).message}).`, 'Use `pgdrill backup list` to see the complete backups.');
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`The manifest ${file} is not one this pgdrill understands (${parsed.error.issues[0]?.message ?? 'invalid'}).`, 'Take a new backup with `pgdrill backup run`.');
  return parsed.data;
}

/** Writes the manifest atomically. */
export function writeManifest(backupDir: string, manifest: BackupManifest): void {
  const file = path.join(backupDir, MANIFEST_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** SHA-256 of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every regular file under `dir`, as paths relative to it (sorted). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? path.join(rel, entry.name) : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** Size and SHA-256 of every file of a backup directory, manifest.json and verify.json excepted. */
export async function checksumFiles(backupDir: string): Promise<Record<string, { size: number; sha256: string }>> {
  const files: Record<string, { size: number; sha256: string }> = {};
  for (const rel of listFiles(backupDir)) {
    if (rel === MANIFEST_FILE || rel === `${MANIFEST_FILE}.tmp` || rel === VERIFY_FILE) continue;
    const abs = path.join(backupDir, rel);
    files[rel] = { size: statSync(abs).size, sha256: await sha256File(abs) };
  }
  return files;
}

/** The outcome of the last `backup verify` of a backup, kept beside its manifest. */
export interface VerifyRecord {
  at: string;
  ok: boolean;
  restoreMs: number | null;
  failed: string[];
}

export const VERIFY_FILE = 'verify.json';

/** The last verification of a backup, if any. */
export function readVerifyRecord(backupDir: string): VerifyRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(backupDir, VERIFY_FILE), 'utf8')) as VerifyRecord;
  } catch {
    return undefined;
  }
}

/** Records the outcome of a verification beside the manifest. */
export function writeVerifyRecord(backupDir: string, record: VerifyRecord): void {
  writeFileSync(path.join(backupDir, VERIFY_FILE), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** Parses an LSN ("0/3000060") into a bigint, for comparisons. */
export function lsnToBigInt(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(lsn.trim());
  if (!m) throw new UserError(`"${lsn}" is not a WAL position (LSN); write it like 0/3000060.`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}
