import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.ts';
import { MANIFEST_FILE, readManifest, readVerifyRecord, type BackupManifest, type VerifyRecord } from './manifest.ts';

/** One entry of a backup directory: complete (with its manifest) or not. */
export interface StoredBackup {
  id: string;
  dir: string;
  /** Absent when the backup is incomplete (no readable manifest.json). */
  manifest: BackupManifest | undefined;
  /** The last `backup verify` of it, if any. */
  verified: VerifyRecord | undefined;
  /** Why it is incomplete, when it is. */
  problem: string | undefined;
  /** Creation time (the manifest's, else the directory's mtime). */
  createdAt: Date;
}

/** Every backup under `root`, oldest first. */
export function listBackups(root: string): StoredBackup[] {
  if (!existsSync(root)) return [];
  const out: StoredBackup[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    let manifest: BackupManifest | undefined;
    let problem: string | undefined;
    if (existsSync(path.join(dir, MANIFEST_FILE))) {
      try {
        manifest = readManifest(dir);
      } catch (error) {
        problem = errorMessage(error);
      }
    } else {
      problem = 'incomplete: no manifest.json (interrupted or still running)';
    }
    const createdAt = manifest ? new Date(manifest.createdAt) : statSync(dir).mtime;
    out.push({ id: entry.name, dir, manifest, verified: readVerifyRecord(dir), problem, createdAt });
  }
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

/** The newest complete backup that has a base backup, or a `UserError` saying how to make one. */
export function latestBaseBackup(root: string): StoredBackup & { manifest: BackupManifest } {
  const found = listBackups(root).filter((b) => b.manifest?.base).pop();
  if (!found?.manifest) throw new UserError(`There is no complete base backup in ${root}.`, 'Take one with `pgdrill backup run`.');
  return found as StoredBackup & { manifest: BackupManifest };
}

/** A backup by id or by directory path; default the newest complete one. */
export function findBackup(root: string, idOrPath?: string): StoredBackup & { manifest: BackupManifest } {
  if (!idOrPath) {
    const found = listBackups(root).filter((b) => b.manifest).pop();
    if (!found?.manifest) throw new UserError(`There is no complete backup in ${root}.`, 'Take one with `pgdrill backup run`.');
    return found as StoredBackup & { manifest: BackupManifest };
  }
  const dir = existsSync(path.join(idOrPath, MANIFEST_FILE)) || idOrPath.includes('/') ? path.resolve(idOrPath) : path.join(root, idOrPath);
  if (!existsSync(dir)) {
    const known = listBackups(root).map((b) => b.id);
    throw new UserError(`There is no backup "${idOrPath}" in ${root}.`, known.length ? `Use one of: ${known.slice(-5).join(', ')} (see \`pgdrill backup list\`).` : 'Take one with `pgdrill backup run`.');
  }
  const manifest = readManifest(dir);
  return { id: path.basename(dir), dir, manifest, verified: readVerifyRecord(dir), problem: undefined, createdAt: new Date(manifest.createdAt) };
}

/** What a prune did (or would do, on a dry run). */
export interface PruneResult {
  removed: StoredBackup[];
  kept: StoredBackup[];
}

/**
 * Applies the seed's retention: removes backups older than `keepDays`
 * (incomplete ones too, once older than a day). The newest complete backup
 * is always kept, however old, so a prune never leaves nothing to restore.
 */
export function pruneBackups(root: string, keepDays: number, options: { dryRun?: boolean; now?: Date } = {}): PruneResult {
  if (!Number.isFinite(keepDays) || keepDays < 0) throw new UserError(`--keep-days must be 0 or more (got ${keepDays}).`);
  const now = options.now ?? new Date();
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const all = listBackups(root);
  const newestComplete = all.filter((b) => b.manifest).pop();
  const removed: StoredBackup[] = [];
  const kept: StoredBackup[] = [];
  for (const b of all) {
    const age = b.createdAt.getTime();
    const old = b.manifest ? age < cutoff : age < Math.min(cutoff, now.getTime() - 86_400_000);
    if (old && b !== newestComplete) removed.push(b);
    else kept.push(b);
  }
  if (!options.dryRun) for (const b of removed) rmSync(b.dir, { recursive: true, force: true });
  return { removed, kept };
}
