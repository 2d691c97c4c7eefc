import { existsSync } from 'node:fs';
import { readHistory } from '../suite/history.ts';
import { CheckSkipped, defineCheck, listSome } from './check.ts';
import { showAge } from './guc.ts';

/** The seed's quarterly disaster-recovery simulation: every drill passed within 90 days. */
export const DRILL_MAX_AGE_MS = 90 * 86_400_000;

/** Each scenario's last result in the drill history (null: never drilled). */
export type DrillsFacts = Array<{ scenario: string; last: { status: string; ageMs: number } | null }>;

/** `drills-recent`: each scenario's last `ci` result in the history passed, within 90 days. */
export const drillsRecentCheck = defineCheck<DrillsFacts>({
  id: 'drills-recent',
  group: 'drills',
  title: 'Recovery drills recent',
  seedSection: '9. Maintenance Tasks: Quarterly (Disaster recovery simulation)',
  expected: 'every scenario\'s last drill in the history passed, within 90 days',
  async read(ctx) {
    if (!existsSync(ctx.historyFile)) throw new CheckSkipped(`no drill history at ${ctx.historyFile} (\`pgdrill ci\` records one; --history names another)`);
    const { entries } = readHistory(ctx.historyFile);
    const now = ctx.now.getTime();
    return ctx.scenarioIds.map((scenario) => {
      const mine = entries.filter((e) => e.scenario === scenario && Number.isFinite(Date.parse(e.at))).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const last = mine.at(-1);
      return { scenario, last: last ? { status: last.status, ageMs: now - Date.parse(last.at) } : null };
    });
  },
  judge(drills) {
    const never = drills.filter((d) => !d.last);
    const failed = drills.filter((d) => d.last && d.last.status !== 'passed');
    const old = drills.filter((d) => d.last && d.last.status === 'passed' && d.last.ageMs > DRILL_MAX_AGE_MS);
    if (!never.length && !failed.length && !old.length) return { status: 'pass', found: `all ${drills.length} scenarios passed their last drill, the oldest ${showAge(Math.max(...drills.map((d) => d.last!.ageMs)))} ago` };
    const found = [
      failed.length ? `last drill not passed: ${listSome(failed.map((d) => `${d.scenario} (${d.last!.status}, ${showAge(d.last!.ageMs)} ago)`), 3)}` : '',
      old.length ? `older than 90 d: ${listSome(old.map((d) => `${d.scenario} (${showAge(d.last!.ageMs)})`), 3)}` : '',
      never.length ? `never drilled: ${listSome(never.map((d) => d.scenario), 3)}` : '',
    ].filter(Boolean).join('; ');
    const names = [...failed, ...old, ...never].map((d) => d.scenario);
    return { status: 'fail', found, fix: `npx pgdrill ci ${names.join(' ')} (quarterly)` };
  },
});
