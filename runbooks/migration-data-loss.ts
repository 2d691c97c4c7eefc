import pg from 'pg';
import { defineRunbook, type StepContext } from '../src/core/runbook.ts';
import type { ScratchClusterRecord } from '../src/lab/scratch-cluster.ts';
import { commitLsnOf } from '../src/restore/find-transaction.ts';
import { requireLab } from '../src/restore/guard.ts';
import { columnDefinition, findDroppedColumn, restoreColumn, type ColumnDefinition, type DroppedColumn } from '../src/restore/restore-column.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { runbookState } from '../src/steps/runbook-state.ts';
import { archiveWalStep, rememberedSideCluster, removeSideClusterStep, restoreSideClusterBefore } from '../src/steps/side-cluster-steps.ts';
import { SAMPLE_SYSTEM } from '../src/system/system.ts';

/** The table the migration damaged (the system's ledger table: payments in the sample), its key and the service role. */
function tableOf(ctx: StepContext) {
  const system = ctx.system ?? SAMPLE_SYSTEM;
  const { schema, table, idColumn } = system.ledger;
  const writes = system.grants.filter((g) => ['INSERT', 'UPDATE', 'DELETE'].includes(g));
  return { database: system.database, schema, table, idColumn, qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`, role: system.serviceRole, writes: writes.length ? writes : ['INSERT', 'UPDATE'] };
}

/** What the steps of one session found and built (journaled in a guided session). */
const state = runbookState<{ dropped: DroppedColumn; side: ScratchClusterRecord; column: ColumnDefinition }>('migration-data-loss');

async function writePrivileges(ctx: StepContext): Promise<string[]> {
  const t = tableOf(ctx);
  const held: string[] = [];
  for (const p of t.writes) {
    const [row] = await ctx.sql(t.database, 'SELECT has_table_privilege($1, $2, $3) AS has', [t.role, t.qualified, p]);
    if (row?.has === true) held.push(p);
  }
  return held;
}

/**
 * The seed's rollback of a failed deploy, for a migration that dropped a
 * column the service uses: stop writes, find the migration's transaction,
 * restore the pre-deploy backup by point-in-time recovery to just before it
 * (into a side cluster: the live database keeps every other change), put
 * the column back with the value of every row that existed, resume writes,
 * and check the service.
 */
export default defineRunbook({
  id: 'migration-data-loss',
  title: 'A migration dropped a column (rollback from the pre-deploy backup)',
  summary:
    "Use when a deploy's migration dropped a column the service still needs (its queries fail with 'column ... does not exist', or a field comes back empty). A dropped column's data is gone from the live table: it is in the pre-deploy backup and the WAL archive. Do not restore the whole database over the live one (that loses every write since); restore a side cluster to just before the migration and copy the column back.",
  steps: [
    {
      id: 'stop-writes',
      title: 'Stop writes to the table',
      why: "The seed's deployment plan stops new requests (health check 503) before touching the schema. Here the database stops them, whatever service sits in front: the service role loses its write privileges on the table, so every write is refused (the service answers 503) and nothing is written half-way while the column is rebuilt.",
      expect: 'The service role has no INSERT or UPDATE privilege left on the table; writes answer 503.',
      command: { kind: 'action', text: 'REVOKE INSERT, UPDATE ON <table> FROM <service role>' },
      destructive: { touches: "the service role's write privileges on the table (given back by resume-writes)" },
      timeoutMs: 15_000,
      async run(ctx) {
        const t = tableOf(ctx);
        await ctx.sql(t.database, `REVOKE ${t.writes.join(', ')} ON ${t.qualified} FROM ${pg.escapeIdentifier(t.role)}`);
        ctx.output(`revoked ${t.writes.join(', ')} on ${t.schema}.${t.table} from ${t.role}`);
      },
      async verify(ctx) {
        const held = await writePrivileges(ctx);
        return { ok: held.length === 0, detail: held.length ? `${tableOf(ctx).role} still holds ${held.join(', ')}` : 'no write privilege left' };
      },
    },
    archiveWalStep("Point-in-time recovery replays WAL from the archive; the migration's commit is probably still in the segment being written (archive_timeout is 60 s). Switching segments makes the archiver copy it now.", (ctx) => state.reset(ctx)),
    {
      id: 'find-migration',
      title: "Find the migration's transaction",
      why: "PostgreSQL keeps a dropped column's row in pg_attribute (attisdropped) and the DROP COLUMN updated it: its xmin is the migration's transaction id, the recovery target. Its attnum names the column in a cluster restored to before the migration.",
      expect: 'A transaction id and the position of the dropped column.',
      command: { kind: 'action', text: "SELECT attnum, xmin FROM pg_attribute WHERE attrelid = '<table>'::regclass AND attisdropped ORDER BY age(xmin) LIMIT 1" },
      timeoutMs: 15_000,
      async run(ctx) {
        const t = tableOf(ctx);
        const dropped = await findDroppedColumn(requireLab(ctx, 'read the catalog'), t);
        state.set(ctx, 'dropped', dropped);
        ctx.output(`column ${dropped.attnum} of ${t.schema}.${t.table} was dropped by transaction ${dropped.xid}`);
      },
    },
    {
      id: 'restore-side-cluster',
      title: 'Restore the pre-deploy backup to just before the migration, into a side cluster',
      why: "The seed's rollback restores the pre-deploy backup. Restoring it over production would also undo every write since; a side cluster restored from that backup, with the archived WAL replayed up to (not including) the migration's transaction, holds the column exactly as it was.",
      expect: 'A side cluster on its own port, recovery stopped "before transaction" the migration, and the dropped column\'s name, type and default.',
      command: { kind: 'action', text: "find the migration's COMMIT in the archived WAL (pg_waldump -x <xid>); copy the newest base backup that ended before it, recovery_target_xid = '<xid>', recovery_target_inclusive = false, recovery_target_action = 'promote', start on a free port" },
      manual: 'Restore the pre-deploy snapshot or base backup to a new instance with point-in-time recovery to just before the migration (RDS: restore-db-instance-to-point-in-time).',
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const lab = requireLab(ctx, 'restore a side cluster');
        const s = state.of(ctx);
        if (!s.dropped) throw new Error("the migration's transaction was not found (step find-migration)");
        // A backup taken after the migration (the nightly one, a later deploy's) cannot go back before it: start from one that ended before its commit.
        const commitLsn = await commitLsnOf(lab.paths.archiveDir, lab.pg(), s.dropped.xid);
        ctx.output(commitLsn ? `the migration (transaction ${s.dropped.xid}) committed at LSN ${commitLsn}` : `no COMMIT of transaction ${s.dropped.xid} in the archived WAL: restoring the newest base backup`);
        const cluster = await restoreSideClusterBefore(ctx, lab, s.side, s.dropped.xid, commitLsn);
        state.set(ctx, 'side', cluster.describe());
        const column = await columnDefinition(cluster, tableOf(ctx), s.dropped.attnum);
        state.set(ctx, 'column', column);
        ctx.output(`the dropped column: ${column.name} ${column.type}${column.notNull ? ' NOT NULL' : ''}${column.default ? ` DEFAULT ${column.default}` : ''}`);
      },
      async verify(ctx) {
        const { column } = state.of(ctx);
        return { ok: column !== undefined, detail: column ? `column ${column.name} found in the side cluster` : 'no column definition from the side cluster' };
      },
    },
    {
      id: 'restore-column',
      title: 'Put the column back with its data',
      why: 'The column is added back with its type and default, and every row that existed before the migration gets its value from the side cluster (matched by key), in one transaction that first checks that the rows arrived whole. NOT NULL is set again once no row lacks a value. Rows and writes made since the migration are kept.',
      expect: "The column present again; as many rows updated as the side cluster holds.",
      command: { kind: 'action', text: 'psql side -c "COPY (SELECT id, <column> FROM <table>) TO STDOUT" | psql live: BEGIN; ALTER TABLE <table> ADD COLUMN <column> <type>; \\copy into a temp table; check count + checksum; UPDATE <table> SET <column> = tmp.<column> FROM tmp WHERE id = tmp.id; SET DEFAULT / SET NOT NULL; COMMIT' },
      manual: 'Add the column back (ALTER TABLE ... ADD COLUMN), copy (id, column) from the recovery instance into a staging table, UPDATE the live table from it, then restore its default and NOT NULL.',
      destructive: { touches: 'the table on the live cluster (a column added back and filled)' },
      timeoutMs: 15 * 60_000,
      async run(ctx) {
        const t = tableOf(ctx);
        const lab = requireLab(ctx, `write into ${t.database}.${t.schema}.${t.table}`);
        const s = state.of(ctx);
        if (!s.column) throw new Error('no column definition (step restore-side-cluster)');
        const side = await rememberedSideCluster(ctx, lab, s.side);
        const r = await restoreColumn(lab, side, t, s.column);
        ctx.output(`${t.schema}.${t.table}.${r.column.name} back: ${r.updated} rows given their value (${r.rowsInSide} in the side cluster)${r.column.notNull ? (r.notNull ? ', NOT NULL again' : ', NOT NULL left off: some rows have no value') : ''}`);
      },
      async verify(ctx) {
        const s = state.of(ctx);
        if (!s.side || !s.column) return { ok: false, detail: 'no side cluster or column' };
        const t = tableOf(ctx);
        const side = await rememberedSideCluster(ctx, requireLab(ctx, 'read the side cluster'), s.side);
        const id = pg.escapeIdentifier(t.idColumn);
        const col = pg.escapeIdentifier(s.column.name);
        const rows = await side.query(t.database, `SELECT ${id}::text AS id FROM ${t.qualified} WHERE ${col} IS NOT NULL`);
        const ids = rows.map((r) => String(r.id));
        const [present] = await ctx.sql(t.database, 'SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped', [t.qualified, s.column.name]);
        if (Number(present?.n) !== 1) return { ok: false, detail: `column ${s.column.name} is not in the live table` };
        const [row] = await ctx.sql(t.database, `SELECT count(${col})::int AS n FROM ${t.qualified} WHERE ${id}::text = ANY($1::text[])`, [ids]);
        return { ok: Number(row?.n) === ids.length, detail: `${row?.n} of the side cluster's ${ids.length} values of ${s.column.name} present in the live table` };
      },
    },
    {
      id: 'resume-writes',
      title: 'Resume writes',
      why: "The schema is whole again: give the service role back the write privileges stop-writes took (the seed's plan: health check 200 again). Deploy the previous version of the code, or a fixed migration, before the next attempt.",
      expect: 'The service role holds its write privileges on the table again; writes answer 201.',
      command: { kind: 'action', text: 'GRANT INSERT, UPDATE ON <table> TO <service role>' },
      timeoutMs: 15_000,
      async run(ctx) {
        const t = tableOf(ctx);
        await ctx.sql(t.database, `GRANT ${t.writes.join(', ')} ON ${t.qualified} TO ${pg.escapeIdentifier(t.role)}`);
        ctx.output(`granted ${t.writes.join(', ')} on ${t.schema}.${t.table} to ${t.role}`);
      },
      async verify(ctx) {
        const held = await writePrivileges(ctx);
        const want = tableOf(ctx).writes;
        return { ok: held.length === want.length, detail: `${tableOf(ctx).role} holds ${held.join(', ') || 'no write privilege'}` };
      },
    },
    removeSideClusterStep(state, 'the column'),
    verifyServiceStep('GET /health answers 200 within a few seconds; payment reads and writes answer again.'),
  ],
});
