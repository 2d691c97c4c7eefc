import pg from 'pg';
import { defineRunbook, type StepContext } from '../src/core/runbook.ts';
import { SAMPLE_SYSTEM } from '../src/system/system.ts';
import { findDamagedBlocks, repairDamagedBlocks, blocksCondition, type DamagedBlock } from '../src/restore/page-repair.ts';
import { restoreSideCluster } from '../src/restore/pitr.ts';
import { requireLab } from '../src/restore/guard.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { runCommand } from '../src/util/run-command.ts';
import type { ScratchClusterRecord } from '../src/lab/scratch-cluster.ts';
import { runbookState } from '../src/steps/runbook-state.ts';
import { archiveWalStep, discardSideCluster, rememberedSideCluster, removeSideClusterStep } from '../src/steps/side-cluster-steps.ts';

/** How the steps name the table where a person reads them (the live one is the system under drill's). */
const TABLE = 'the ledger table (payments in the sample)';

/** The damaged table: the system under drill's ledger table (the sample's payments_db.payments), quoted for SQL. */
function damagedTable(ctx: StepContext): { database: string; schema: string; table: string; id: string; qualified: string; shown: string } {
  const system = ctx.system ?? SAMPLE_SYSTEM;
  const { schema, table, idColumn } = system.ledger;
  return { database: system.database, schema, table, id: pg.escapeIdentifier(idColumn), qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`, shown: `${system.database}.${schema}.${table}` };
}

/** What the steps of one session found and built (journaled in a guided session, so a resume picks it up). */
const state = runbookState<{ damaged: DamagedBlock[]; side: ScratchClusterRecord; sideRows: number }>('table-corruption');

/**
 * Recovery runbook for the seed's "Single table corrupted" when the damage
 * is on disk (checksum failures): confirm it and find every damaged block,
 * restore the lab to just now in a side cluster (base backup + archived
 * WAL: the WAL holds the pages as PostgreSQL wrote them), put the rows of
 * the damaged blocks back into the live table, and check.
 */
export default defineRunbook({
  id: 'table-corruption',
  title: 'A table page is corrupted on disk',
  summary:
    'Use when reads of a table fail with "invalid page in block N" or "page verification failed" (data checksums), and the rest of the database is fine. Do not restore the whole database over the live one: that loses every write since the backup. Rebuild the damaged pages from the backup and the WAL archive in a side cluster and put their rows back; then find out why the storage corrupted data.',
  steps: [
    {
      id: 'detect-corruption',
      title: 'Confirm the corruption: checksum failures and pg_amcheck',
      why: 'The service sees errors; the server says why. pg_stat_database counts checksum failures, and pg_amcheck reads every page of the table: a page that fails its checksum is damaged on disk, not a bug in a query.',
      expect: 'Checksum failures in the database, and pg_amcheck naming the damaged block of the table.',
      command: { kind: 'action', text: `SELECT checksum_failures, checksum_last_failure FROM pg_stat_database WHERE datname = <the database>; then pg_amcheck --install-missing -d <the database> -t <schema.table> (${TABLE})` },
      timeoutMs: 120_000,
      async verify(ctx) {
        const d = damagedTable(ctx);
        const [stats] = await ctx.sql('postgres', `SELECT checksum_failures::int AS failures, checksum_last_failure::text AS last FROM pg_stat_database WHERE datname = $1`, [d.database]);
        const failures = Number(stats?.failures ?? 0);
        let amcheck: string;
        try {
          const out = await runCommand(ctx.pgBin('pg_amcheck'), ['--install-missing', '-d', d.database, '-t', `${d.schema}.${d.table}`], { env: ctx.target.clientEnv(), timeoutMs: 110_000 });
          amcheck = out.stdout.trim() || 'no corruption reported';
        } catch (error) {
          const e = error as { stderrTail?: string; message: string };
          amcheck = (e.stderrTail ?? e.message).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
        }
        const detail = `${d.database}: ${failures} checksum failure(s)${stats?.last ? ` (last at ${String(stats.last)})` : ''}; pg_amcheck ${d.schema}.${d.table}: ${amcheck}`;
        ctx.output(detail);
        return { ok: failures > 0 || /invalid page|checksum|corrupt/i.test(amcheck), detail };
      },
    },
    {
      id: 'locate-damaged-blocks',
      title: 'Find every damaged block of the table',
      why: 'pg_amcheck stops at the first unreadable page; the repair needs them all. Reading the table one block at a time (a TID range scan per block) names each block that fails.',
      expect: 'The numbers of the damaged blocks and the error each read gets; usually one or a few.',
      command: { kind: 'action', text: `for every block N of ${TABLE}, in its own subtransaction: SELECT count(*) FROM ${TABLE} WHERE ctid >= '(N,0)' AND ctid < '(N+1,0)'` },
      timeoutMs: 10 * 60_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'scan the table');
        const d = damagedTable(ctx);
        state.reset(ctx);
        const found = await findDamagedBlocks(lab, d.database, d.schema, d.table);
        state.set(ctx, 'damaged', found.blocks);
        ctx.output(`${found.blocks.length} of ${found.totalBlocks} blocks of ${d.shown} (${found.relationPath}) cannot be read`);
        for (const b of found.blocks.slice(0, 20)) ctx.output(`block ${b.block}: ${b.error}`);
      },
      async verify(ctx) {
        const damaged = state.of(ctx).damaged ?? [];
        const first = damaged[0];
        return { ok: damaged.length > 0, detail: damaged.length ? `${damaged.length} damaged block(s): ${damaged.map((b) => b.block).join(', ')}; block ${first!.block}: ${first!.error}` : `every block of ${damagedTable(ctx).shown} reads: nothing to repair` };
      },
    },
    archiveWalStep('The side cluster replays the archive to its end; the newest writes are still in the segment being written (archive_timeout is 60 s). Switching segments makes the archiver copy it now.'),
    {
      id: 'restore-side-cluster',
      title: 'Restore the lab to just now, into a side cluster',
      why: 'The damage is only in the data file; the WAL archive holds the pages as PostgreSQL wrote them. The newest base backup with every archived segment replayed rebuilds the table, block for block, in a cluster beside the live one.',
      expect: 'A side cluster on its own port, promoted at the end of the archive, where the damaged blocks read.',
      command: { kind: 'action', text: "copy the newest base backup, restore_command = 'cp <archive>/%f %p', recovery to the end of the archive, start on a free port" },
      manual: 'Restore the latest snapshot or base backup to a new instance with point-in-time recovery to the latest restorable time (RDS: restore-db-instance-to-point-in-time --use-latest-restorable-time).',
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'restore a side cluster');
        const s = state.of(ctx);
        if (!s.damaged?.length) throw new Error('no damaged block was found (step locate-damaged-blocks)');
        await discardSideCluster(ctx, lab, s.side); // a step run again replaces the side cluster it made before
        const { cluster } = await restoreSideCluster(lab, { kind: 'end' }, { name: 'table-corruption-side', log: (l) => ctx.output(l) });
        state.set(ctx, 'side', cluster.describe());
        const r = cluster.report!;
        ctx.output(`side cluster on port ${cluster.port}: ${r.stopLine ?? `recovered to ${r.endLsn}`}; restore took ${(r.totalMs / 1000).toFixed(1)} s`);
        const d = damagedTable(ctx);
        const [row] = await cluster.query(d.database, `SELECT count(*)::bigint AS n FROM ${d.qualified} WHERE ${blocksCondition(s.damaged.map((b) => b.block))}`);
        state.set(ctx, 'sideRows', Number(row?.n));
        ctx.output(`the damaged blocks hold ${Number(row?.n)} rows in the side cluster`);
      },
      async verify(ctx) {
        const s = state.of(ctx);
        return { ok: (s.sideRows ?? 0) > 0, detail: `${s.sideRows ?? 0} rows of the damaged blocks read in the side cluster` };
      },
    },
    {
      id: 'repair-table',
      title: 'Rewrite the table without the damaged pages and put their rows back',
      why: 'In one transaction: zero_damaged_pages lets a rewrite of the table (CLUSTER on its primary key) skip the unreadable pages, the damaged file is replaced by a new one, and the rows of the damaged blocks are copied from the side cluster and checked against it (count and a checksum over the primary key) before COMMIT: a copy cut short rolls everything back. Readers never see the rows missing; writes wait for the table lock (seconds). Runs as superuser.',
      expect: `Every row of the damaged blocks present in the live ${TABLE} again, and no block left that fails to read.`,
      command: { kind: 'action', text: `BEGIN; SET LOCAL zero_damaged_pages = on; CLUSTER <table> USING <its primary key>; \\copy rows of the damaged blocks from the side cluster; check count + md5(primary keys) against the side cluster, else ROLLBACK; INSERT ... ON CONFLICT DO NOTHING; COMMIT` },
      manual: `Copy the table from the recovery instance back into production (pg_dump -t ${TABLE} --data-only into a staging table, then INSERT ... ON CONFLICT DO NOTHING) after rewriting the damaged table with zero_damaged_pages = on.`,
      destructive: { touches: `${TABLE} on the live cluster` },
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const d = damagedTable(ctx);
        const lab = requireLab(ctx, `rewrite ${d.shown}`);
        const s = state.of(ctx);
        if (!s.damaged?.length) throw new Error('no damaged block was found (step locate-damaged-blocks)');
        const side = await rememberedSideCluster(ctx, lab, s.side);
        const result = await repairDamagedBlocks(lab, side, d.database, d.schema, d.table, s.damaged.map((b) => b.block));
        ctx.output(`${result.inserted} of the ${result.rowsInSide} rows of the damaged blocks inserted; ${d.shown} holds ${result.liveRows} rows`);
      },
      async verify(ctx) {
        const lab = requireLab(ctx, 'scan the table');
        const s = state.of(ctx);
        if (!s.side || !s.damaged) return { ok: false, detail: 'no side cluster' };
        const side = await rememberedSideCluster(ctx, lab, s.side);
        const d = damagedTable(ctx);
        const ids = (await side.query(d.database, `SELECT ${d.id}::text AS id FROM ${d.qualified} WHERE ${blocksCondition(s.damaged.map((b) => b.block))}`)).map((r) => String(r.id));
        const [row] = await ctx.sql(d.database, `SELECT count(*)::int AS n FROM ${d.qualified} WHERE ${d.id}::text = ANY($1::text[])`, [ids]);
        const still = (await findDamagedBlocks(lab, d.database, d.schema, d.table)).blocks.length;
        const n = Number(row?.n);
        return { ok: n === ids.length && still === 0, detail: `${n} of the ${ids.length} rows of the damaged blocks present; ${still} block(s) still fail to read` };
      },
    },
    removeSideClusterStep(state, 'the rows'),
    verifyServiceStep('GET /health answers 200 within a second; reads of the payments on the damaged page succeed again.'),
  ],
});
