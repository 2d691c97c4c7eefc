import { listBackups } from '../backup/store.ts';
import { readHistory } from '../suite/history.ts';
import { CheckSkipped, defineCheck } from './check.ts';
import { showAge, showMs } from './guc.ts';

/** The seed's weekly restore test, and its 30-minute restore objective. */
export const RESTORE_TEST_MAX_AGE_MS = 7 * 86_400_000;
export const RESTORE_MAX_MS = 30 * 60_000;

/** The newest successful restore test: a `backup verify` (with its restore time) or a passed `backup-restore-test` drill. */
export interface RestoreTestFacts {
  newestVerify: { id: string; ageMs: number; restoreMs: number | null } | null;
  newestDrill: { ageMs: number } | null;
  /** Whether pgdrill had a backup store to look in (false: --url, only the drill history counts). */
  hasStore: boolean;
}

/** `backup-restore-tested`: a restore test succeeded within 7 days, restoring in under 30 min. */
export const backupRestoreTestedCheck = defineCheck<RestoreTestFacts>({
  id: 'backup-restore-tested',
  group: 'backups',
  title: 'Backup restore tested',
  seedSection: '5. Backup Strategy: Backup Testing Procedure (weekly); 10. Testing (restore works in < 30 min)',
  expected: 'a `backup verify` or `backup-restore-test` drill succeeded within 7 days, restore under 30 min',
  async read(ctx) {
    const now = ctx.now.getTime();
    let newestVerify: RestoreTestFacts['newestVerify'] = null;
    if (ctx.backupRoot) {
      for (const b of listBackups(ctx.backupRoot)) {
        const v = b.verified;
        if (!v?.ok) continue;
        const ageMs = now - Date.parse(v.at);
        if (!newestVerify || ageMs < newestVerify.ageMs) newestVerify = { id: b.id, ageMs, restoreMs: v.restoreMs };
      }
    }
    const drills = readHistory(ctx.historyFile).entries.filter((e) => e.scenario === 'backup-restore-test' && e.status === 'passed');
    const newestDrillAt = Math.max(...drills.map((e) => Date.parse(e.at)).filter(Number.isFinite), -Infinity);
    const newestDrill = Number.isFinite(newestDrillAt) ? { ageMs: now - newestDrillAt } : null;
    if (!ctx.backupRoot && !newestDrill) throw new CheckSkipped(`pgdrill keeps no backups of this server and ${ctx.historyFile} records no passed backup-restore-test drill: check your own restore tests`);
    return { newestVerify, newestDrill, hasStore: ctx.backupRoot !== null };
  },
  judge(f) {
    const verifyOk = f.newestVerify && f.newestVerify.ageMs <= RESTORE_TEST_MAX_AGE_MS && (f.newestVerify.restoreMs ?? 0) <= RESTORE_MAX_MS;
    const drillOk = f.newestDrill && f.newestDrill.ageMs <= RESTORE_TEST_MAX_AGE_MS;
    const parts = [
      f.newestVerify ? `last successful backup verify ${showAge(f.newestVerify.ageMs)} ago (${f.newestVerify.id}, restore ${f.newestVerify.restoreMs === null ? 'time unknown' : showMs(f.newestVerify.restoreMs)})` : f.hasStore ? 'no successful backup verify' : null,
      f.newestDrill ? `last passed backup-restore-test drill ${showAge(f.newestDrill.ageMs)} ago` : 'no passed backup-restore-test drill in the history',
    ].filter(Boolean);
    const found = parts.join('; ');
    if (verifyOk || drillOk) return { status: 'pass', found };
    if (f.newestVerify && (f.newestVerify.restoreMs ?? 0) > RESTORE_MAX_MS && f.newestVerify.ageMs <= RESTORE_TEST_MAX_AGE_MS) return { status: 'fail', found: `${found}: the restore took longer than ${showMs(RESTORE_MAX_MS)}`, fix: 'make restores faster (smaller base-backup interval, faster disk, parallel restore) and verify again' };
    return { status: 'fail', found, fix: 'pgdrill backup verify (weekly), or pgdrill ci backup-restore-test' };
  },
});
