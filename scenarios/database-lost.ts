import databaseLostRunbook from '../runbooks/database-lost.ts';
import { defineScenario } from '../src/core/scenario.ts';
import { databaseLost } from '../src/faults/database-lost.ts';

/**
 * The seed's "Entire database lost": the postmaster is killed and the data
 * directory removed under load. The runbook restores the newest base
 * backup and replays the archived WAL. RPO is real here: writes whose WAL
 * was not archived yet are lost, and the ledger counts them. Objective from
 * the seed's table: RTO 30 min, RPO hours.
 */
export default defineScenario({
  id: 'database-lost',
  title: 'Entire database lost',
  seedScenario: 'Entire database lost',
  description:
    'The PostgreSQL server is killed (SIGKILL) and its data directory deleted while the payments service takes writes. Only the base backups and the WAL archive remain.',
  tags: ['data-loss', 'backup', 'restore'],
  fault: databaseLost(),
  holdMs: 5000,
  runbook: databaseLostRunbook,
  objectives: { rtoMs: 30 * 60_000, rpoMs: 4 * 3_600_000 },
  load: { rate: 50, writeRatio: 0.5, timeoutMs: 5000, maxDurationMs: 60 * 60_000 },
  warmupMs: 3000,
  observeMs: 4000,
  needs: ['wal-archive', 'base-backup'],
  // The nightly base backup, taken before the load (physical only: that is what this recovery uses).
  async setup(ctx) {
    ctx.log(`${await ctx.drillLab.takeBaseBackup(ctx.log)}.`);
  },
});
