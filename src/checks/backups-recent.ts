import { listBackups } from '../backup/store.ts';
import { CheckSkipped, defineCheck } from './check.ts';
import { showAge } from './guc.ts';

/** The seed's alert: the newest backup older than 24 h. */
export const BACKUP_MAX_AGE_MS = 24 * 3_600_000;

/** The newest complete backup and the newest one whose verification succeeded (ages in ms), from pgdrill's backup store. */
export interface BackupsRecentFacts {
  root: string;
  newest: { id: string; ageMs: number } | null;
  newestVerified: { id: string; ageMs: number } | null;
}

/** `backups-recent`: the newest verified backup in pgdrill's backup store is less than 24 h old. */
export const backupsRecentCheck = defineCheck<BackupsRecentFacts>({
  id: 'backups-recent',
  group: 'backups',
  title: 'Recent verified backup',
  seedSection: '9. Monitoring: Key Metrics (Backup Age > 24h); 5. Backup Strategy',
  expected: 'a backup verified by restore, taken less than 24 h ago',
  async read(ctx) {
    if (!ctx.backupRoot) throw new CheckSkipped('pgdrill keeps no backups of this server (its backup store is the lab\'s): check your own backup age (RDS snapshots, pg_dump to S3)');
    const now = ctx.now.getTime();
    const complete = listBackups(ctx.backupRoot).filter((b) => b.manifest);
    const pick = (b: (typeof complete)[number] | undefined) => (b ? { id: b.id, ageMs: now - b.createdAt.getTime() } : null);
    return { root: ctx.backupRoot, newest: pick(complete.at(-1)), newestVerified: pick(complete.filter((b) => b.verified?.ok).at(-1)) };
  },
  judge(f) {
    if (!f.newest) return { status: 'fail', found: `no complete backup in ${f.root}`, fix: 'pgdrill backup run && pgdrill backup verify (daily, e.g. from cron)' };
    if (!f.newestVerified) return { status: 'fail', found: `newest backup ${f.newest.id} is ${showAge(f.newest.ageMs)} old, and no backup was verified by restore`, fix: 'pgdrill backup verify' };
    const found = `newest verified backup ${f.newestVerified.id} is ${showAge(f.newestVerified.ageMs)} old${f.newest.id !== f.newestVerified.id ? ` (newer, unverified: ${f.newest.id})` : ''}`;
    if (f.newestVerified.ageMs > BACKUP_MAX_AGE_MS) return { status: 'fail', found, fix: 'pgdrill backup run && pgdrill backup verify, and schedule them daily' };
    return { status: 'pass', found };
  },
});
