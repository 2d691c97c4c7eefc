import type { DrillLab } from '../lab/cluster.ts';
import path from 'node:path';
import type { Lab } from '../lab/lab.ts';
import { resolveServerUser } from '../lab/server-user.ts';
import type { CleanupStack } from '../util/cleanup.ts';
import { labSource } from './source.ts';
import { findBackup } from './store.ts';
import { takeBackup, type BackupOptions, type BackupResult } from './take-backup.ts';
import { verifyBackup, type VerifyReport } from './verify-backup.ts';

/** Where the lab's backups live by default. */
export function labBackupRoot(lab: Lab): string {
  return path.join(lab.labDir, 'backups');
}

/** Where the lab's scratch and side clusters live (beside its data directory, owned by the server user). */
export function labScratchRoot(lab: Lab): string {
  return lab.scratchRoot;
}

/** Takes a backup of the running lab (see `takeBackup`). */
export function backupLab(lab: Lab, options: BackupOptions = {}): Promise<BackupResult> {
  return takeBackup(labSource(lab), { backupRoot: labBackupRoot(lab), ...options });
}

/**
 * The seed's deployment plan, step 1 ("Backup all databases") before a
 * migration runs: a base backup of the lab (embedded or Docker), from which a point-in-time
 * recovery can reach any moment of the deploy. A scenario's `setup`.
 */
export async function preDeployBackup(ctx: { drillLab: DrillLab; log: (line: string) => void }): Promise<void> {
  ctx.log(`Pre-deploy ${await ctx.drillLab.takeBaseBackup((l) => ctx.log(`pre-deploy ${l}`))}.`);
}

/**
 * Verifies a backup of the lab (default the newest) by restoring it into a
 * scratch cluster beside the lab (see `verifyBackup`), in the background:
 * the restore and its checks run at the lowest CPU and I/O priority, so a
 * service on the lab keeps its share of the machine.
 */
export async function verifyLabBackup(
  lab: Lab,
  options: { backup?: string; backupRoot?: string; cleanup?: CleanupStack; onProgress?: (line: string) => void; skipAmcheck?: boolean } = {},
): Promise<VerifyReport & { dir: string }> {
  const found = findBackup(options.backupRoot ?? labBackupRoot(lab), options.backup);
  const report = await verifyBackup(found.dir, found.manifest, {
    binaries: lab.pg(),
    user: resolveServerUser(),
    scratchRoot: labScratchRoot(lab),
    cleanup: options.cleanup,
    onProgress: options.onProgress,
    skipAmcheck: options.skipAmcheck,
    background: true,
  });
  return { ...report, dir: found.dir };
}
