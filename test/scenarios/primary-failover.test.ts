import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryFailoverScenario } from '../../scenarios/primary-failover.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { Lab } from '../../src/lab/lab.ts';
import { startTestLab } from '../helpers/test-lab.ts';

describe('primary-failover drill (kill -9 the primary, promote the streaming replica)', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    // No replica yet: the scenario's setup makes one.
    env = await startTestLab('failover');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('with synchronous replication, fails over within the objective and loses no acknowledged write; the lab is whole afterwards', async () => {
    const { result } = await runDrill(primaryFailoverScenario({ synchronous: true }), { labDir: env.labDir, holdMs: 1000, observeMs: 3000 });
    console.log(`primary-failover: RTO ${result.rtoMs} ms, TTD ${result.ttdMs} ms, lost ${result.lostWrites}/${result.ackedWrites}, failed ${result.failedRequests}/${result.requests}; steps ${result.steps.map((s) => `${s.id}=${s.durationMs.toFixed(0)}`).join(' ')}; ${result.fault.evidence}`);
    expect(result.status, result.reasons.join('; ')).toBe('passed');
    expect(result.fault.evidence).toMatch(/primary postmaster \d+ killed \(SIGKILL\)/);
    expect(result.steps.every((s) => s.status === 'done')).toBe(true);
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs!).toBeLessThan(60_000);
    // Every commit waited for the replica's flush: nothing acknowledged can be missing after the promotion.
    expect(result.ackedWrites).toBeGreaterThan(50);
    expect(result.lostWrites).toBe(0);
    expect(result.steps.find((s) => s.id === 'promote-replica')!.detail).toMatch(/promoted: writable on timeline 2/);

    // The promoted replica is the lab's primary now, on the lab's port, archiving on its new timeline.
    const lab = new Lab({ labDir: env.labDir });
    const status = await lab.status();
    expect(status.running).toBe(true);
    expect(status.replica).toBeNull();
    expect(status.port).toBe(env.lab.endpoint.port);
    expect((await lab.psql('postgres', "SELECT pg_is_in_recovery(), substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8), current_setting('synchronous_standby_names')")).trim()).toBe('f|00000002|');
    await expect.poll(() => existsSync(`${status.archiveDir}/00000002.history`), { timeout: 10_000 }).toBe(true);
    expect(readdirSync(status.dataDir!.replace(/\/data$/, '')).filter((f) => f.startsWith('data.') || f === 'replica')).toEqual([]);
    // A new replica can be made from the new primary.
    await lab.up('persistent', { replica: true });
    expect((await lab.replicaPsql('postgres', 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
  });
});
