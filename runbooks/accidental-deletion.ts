import { defineRunbook, type StepContext } from '../src/core/runbook.ts';
import { copyTableBack, locateBadTransaction, type LocatedBadTransaction } from '../src/restore/pitr.ts';
import { requireLab } from '../src/restore/guard.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import type { ScratchClusterRecord } from '../src/lab/scratch-cluster.ts';
import { runbookState } from '../src/steps/runbook-state.ts';
import { archiveWalStep, rememberedSideCluster, removeSideClusterStep, restoreSideClusterBefore } from '../src/steps/side-cluster-steps.ts';
import { SAMPLE_SYSTEM } from '../src/system/system.ts';
import pg from 'pg';

/** The table this runbook recovers: the system under drill's ledger table (the sample's payments_db.public.payments by default). */
function tableOf(ctx: StepContext): { database: string; schema: string; table: string; idColumn: string; qualified: string } {
  const system = ctx.system ?? SAMPLE_SYSTEM;
  const { schema, table, idColumn } = system.ledger;
  return { database: system.database, schema, table, idColumn, qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}` };
}
const TABLE = 'the table (payments in the sample; the ledger table of a configured system)';

/** What the steps of one session found and built (journaled in a guided session, so a resume picks it up). */
const state = runbookState<{ found: LocatedBadTransaction; side: ScratchClusterRecord; sideRows: number }>('accidental-deletion');

/**
 * Recovery runbook for the seed's "Single table corrupted / deleted"
 * (accidental deletion): find the transaction that did it in the archived
 * WAL, restore the lab by point-in-time recovery into a side cluster
 * stopped just before that transaction, copy the table back into the live
 * database (keeping the writes made since), and remove the side cluster.
 */
export default defineRunbook({
  id: 'accidental-deletion',
  title: 'Rows deleted or table dropped by mistake',
  summary:
    "Use when a table's rows are gone (a DELETE without WHERE) or the table itself was dropped, and the rest of the database is fine. Do not restore the whole database over the live one: that would lose every write since. Recover the table as it was just before the bad transaction in a side cluster, and copy it back.",
  steps: [
    archiveWalStep('Point-in-time recovery replays WAL from the archive; the bad transaction is probably still in the segment being written (archive_timeout is 60 s). Switching segments makes the archiver copy it now.', (ctx) => state.reset(ctx)),
    {
      id: 'find-bad-transaction',
      title: 'Find the bad transaction in the archived WAL',
      why: 'Recovery must stop just before the transaction that did the damage, and no earlier: every transaction committed before it is kept. pg_waldump shows the heap DELETE records of the table (or the commit that dropped its storage) and the transaction id.',
      expect: 'One transaction id, its commit time, and how many rows it deleted.',
      command: { kind: 'action', text: 'pg_waldump over the WAL archive (-r Heap -r Transaction), looking for the DELETE records of the table\'s relfilenode (or the commit that dropped its storage) and the transaction that committed them' },
      timeoutMs: 120_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'read the WAL archive');
        const t = tableOf(ctx);
        const exists = (await ctx.sql(t.database, 'SELECT to_regclass($1) IS NOT NULL AS e', [t.qualified]))[0]?.e === true;
        const pattern = exists ? `DELETE FROM ${t.schema}.${t.table}` : `DROP TABLE ${t.schema}.${t.table}`;
        ctx.output(`${t.database}.${t.schema}.${t.table} ${exists ? 'exists: looking for the DELETE' : 'is gone: looking for the DROP'}`);
        const found = await locateBadTransaction(lab, pattern, { database: t.database });
        state.set(ctx, 'found', found);
        ctx.output(`transaction ${found.xid} committed at ${found.commitTime} (LSN ${found.commitLsn}): ${found.evidence}`);
      },
    },
    {
      id: 'restore-side-cluster',
      title: 'Restore the lab just before that transaction, into a side cluster',
      why: 'The live database keeps serving. A side cluster restored from the last base backup, with the archived WAL replayed up to (not including) the bad transaction, holds the table exactly as it was.',
      expect: 'A side cluster on its own port, promoted, with the recovery stopping "before transaction" the bad one.',
      command: { kind: 'action', text: "copy the newest base backup, recovery_target_xid = '<xid>', recovery_target_inclusive = false, recovery_target_action = 'promote', start on a free port" },
      manual: 'Restore the latest snapshot or base backup to a new instance with point-in-time recovery set to just before the bad transaction (RDS: restore-db-instance-to-point-in-time).',
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'restore a side cluster');
        const s = state.of(ctx);
        if (!s.found) throw new Error('no bad transaction was found (step find-bad-transaction)');
        const cluster = await restoreSideClusterBefore(ctx, lab, s.side, s.found.xid, s.found.commitLsn);
        state.set(ctx, 'side', cluster.describe());
        const t = tableOf(ctx);
        const [row] = await cluster.query(t.database, `SELECT count(*)::bigint AS n FROM ${t.qualified}`);
        state.set(ctx, 'sideRows', Number(row?.n));
        ctx.output(`${t.database}.${t.schema}.${t.table} holds ${Number(row?.n)} rows in the side cluster`);
      },
      async verify(ctx) {
        const s = state.of(ctx);
        return { ok: (s.sideRows ?? 0) > 0, detail: `${s.sideRows ?? 0} rows of ${tableOf(ctx).table} in the side cluster` };
      },
    },
    {
      id: 'copy-back',
      title: 'Copy the table back into the live database',
      why: 'Only the missing rows go back (INSERT ... ON CONFLICT DO NOTHING), with the rows the DELETE cascaded to; writes made since the accident stay. A dropped table is recreated with its indexes, triggers and grants in the same transaction. Before COMMIT the rows that arrived are checked against the side cluster (count and a checksum over the primary key): a copy cut short (the sending side died) rolls back and leaves the live table as it was. This runs as superuser: the service role has no DELETE or DDL rights, by design.',
      expect: `Every row of the side cluster's ${TABLE} present in the live table again.`,
      command: { kind: 'action', text: `psql side -c "COPY (SELECT ...) TO STDOUT" | psql live -c "\\copy tmp FROM pstdin" -c "check count + md5(primary keys) of tmp = the side cluster's, else ROLLBACK" -c "INSERT INTO <table> SELECT * FROM tmp ON CONFLICT DO NOTHING" -c COMMIT` },
      manual: 'Copy the table from the recovery instance back into production (pg_dump -t <table> --data-only into a staging table, then INSERT ... ON CONFLICT DO NOTHING).',
      destructive: { touches: `${TABLE} on the live cluster` },
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const t = tableOf(ctx);
        const lab = requireLab(ctx, `write into ${t.database}.${t.schema}.${t.table}`);
        const side = await rememberedSideCluster(ctx, lab, state.of(ctx).side);
        const result = await copyTableBack(lab, side, t.database, t.schema, t.table);
        for (const t of result.tables) ctx.output(`${t.table}: ${t.recreated ? 'recreated, ' : ''}${t.inserted} rows inserted (${t.rowsInSide} in the side cluster)`);
      },
      async verify(ctx) {
        const record = state.of(ctx).side;
        if (!record) return { ok: false, detail: 'no side cluster' };
        const side = await rememberedSideCluster(ctx, requireLab(ctx, 'read the side cluster'), record);
        const t = tableOf(ctx);
        const id = pg.escapeIdentifier(t.idColumn);
        const ids = (await side.query(t.database, `SELECT ${id}::text AS id FROM ${t.qualified}`)).map((r) => String(r.id));
        const [row] = await ctx.sql(t.database, `SELECT count(*)::int AS n FROM ${t.qualified} WHERE ${id}::text = ANY($1::text[])`, [ids]);
        const n = Number(row?.n);
        return { ok: n === ids.length, detail: `${n} of the side cluster's ${ids.length} rows present in the live table` };
      },
    },
    removeSideClusterStep(state, 'the table'),
    verifyServiceStep('GET /health answers 200 within a few seconds; restart the service instances if it keeps failing.'),
  ],
});
