import tableCorruptionRunbook from '../runbooks/table-corruption.ts';
import { backupLab } from '../src/backup/lab-backups.ts';
import { defineScenario } from '../src/core/scenario.ts';
import { embeddedLab } from '../src/faults/fault.ts';
import { corruptPage } from '../src/faults/corrupt-page.ts';
import { growLedgerTable } from '../src/system/grow-ledger-table.ts';

/**
 * The seed's "Single table corrupted", as on-disk corruption: a heap page
 * of payments is damaged while the service runs (data checksums catch it
 * at the next read). The runbook locates the damaged blocks, restores the
 * lab to just now in a side cluster (newest base backup + archived WAL)
 * and puts those blocks' rows back. Objective from the seed's table: RTO
 * 15 min, RPO minutes.
 */
export default defineScenario({
  id: 'table-corruption',
  title: 'Table page corrupted on disk',
  seedScenario: 'Single table corrupted',
  description:
    'Bytes of a heap page of payments are overwritten on disk while the payments service runs; with data checksums on, every read of that page fails ("invalid page in block 0"), so reads of the payments it holds answer 500 until the page is repaired from the backup and the WAL archive.',
  tags: ['corruption', 'pitr', 'backup'],
  fault: corruptPage(),
  holdMs: 5000,
  runbook: tableCorruptionRunbook,
  objectives: { rtoMs: 15 * 60_000, rpoMs: 5 * 60_000 },
  load: { rate: 50, writeRatio: 0.5, timeoutMs: 10_000, maxDurationMs: 30 * 60_000 },
  warmupMs: 3000,
  observeMs: 4000,
  needs: ['wal-archive', 'lab-files'],
  async setup(ctx) {
    if (ctx.system.kind !== 'sample') {
      await growLedgerTable(ctx);
      const { manifest } = await backupLab(embeddedLab(ctx, 'The scenario\'s base backup'), { databases: [], onProgress: (l) => ctx.log(`backup: ${l}`) });
      ctx.log(`base backup ${manifest.id} taken (WAL from ${manifest.base?.startLsn}).`);
      return;
    }
    // A year of settled payments: the table must outgrow a quarter of shared_buffers for the fault
    // to place a page outside the cache (see corruptPage). Added once per lab.
    const grow = `INSERT INTO payments (id, user_id, amount, currency, status, description, created_at, updated_at)
      SELECT gen_random_uuid(), md5('user-' || (g % 200))::uuid, (g % 50000) / 100.0, 'EUR', 'completed',
             'settled payment ' || repeat(md5(g::text), 12), now() - interval '400 days' + g * interval '5 minutes', now() - interval '400 days'
      FROM generate_series(1, 20000) g`;
    for (let i = 0; i < 10; i++) {
      const small = (await ctx.target.psql('payments_db', "SELECT pg_relation_size('payments') <= pg_size_bytes(current_setting('shared_buffers')) / 4 * 1.2")).trim() === 't';
      if (!small) break;
      await ctx.target.psql('payments_db', `SET statement_timeout = 0; ${grow}`);
    }
    const size = (await ctx.target.psql('payments_db', "SELECT pg_size_pretty(pg_relation_size('payments'))")).trim();
    // The nightly base backup (physical only: that is what this recovery uses).
    const { manifest } = await backupLab(embeddedLab(ctx, 'The scenario\'s base backup'), { databases: [], onProgress: (l) => ctx.log(`backup: ${l}`) });
    ctx.log(`payments holds ${size}; base backup ${manifest.id} taken (WAL from ${manifest.base?.startLsn}).`);
  },
});
