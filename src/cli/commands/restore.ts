import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { Lab } from '../../lab/lab.ts';
import type { RecoveryTarget } from '../../lab/scratch-cluster.ts';
import { formatDuration } from '../../report/format.ts';
import { archiveCurrentWal, chooseBaseBackup, copyTableBack, describeTarget, locateBadTransaction, restoreSideCluster, switchLabTo } from '../../restore/pitr.ts';
import { CleanupStack } from '../../util/cleanup.ts';
import { say, warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';

interface RestoreFlags {
  toTime?: string;
  toLsn?: string;
  toXid?: string;
  before?: string;
  database?: string;
  inclusive?: boolean;
  copyTable?: string;
  switch?: boolean;
  dryRun?: boolean;
  labDir?: string;
}

const TARGET_FLAGS = 'one of --to-time, --to-lsn, --to-xid or --before';

/** The recovery target the flags name (`before` is found later, in the archived WAL); a bad one is a `UserError`. */
function parseTarget(flags: RestoreFlags): RecoveryTarget | 'before' {
  const given = [flags.toTime, flags.toLsn, flags.toXid, flags.before].filter((t) => t !== undefined);
  if (given.length !== 1) throw new UserError(`restore needs exactly ${TARGET_FLAGS}; ${given.length === 0 ? 'none was' : `${given.length} were`} given.`, 'Say how far to recover, e.g. --to-time "2025-01-31 14:05:00+00" or --before "DELETE FROM payments".');
  const inclusive = Boolean(flags.inclusive);
  if (flags.before !== undefined) return 'before';
  if (flags.toTime !== undefined) {
    if (Number.isNaN(new Date(flags.toTime).getTime())) throw new UserError(`--to-time "${flags.toTime}" is not a time.`, 'Write it like "2025-01-31 14:05:00+00" (a date and time, with its time zone).');
    return { kind: 'time', time: flags.toTime, inclusive };
  }
  if (flags.toLsn !== undefined) {
    if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(flags.toLsn)) throw new UserError(`--to-lsn "${flags.toLsn}" is not a WAL position (LSN).`, 'Write it like 0/3000060, as pg_current_wal_lsn() shows it.');
    return { kind: 'lsn', lsn: flags.toLsn.toUpperCase(), inclusive };
  }
  if (!/^\d+$/.test(flags.toXid!)) throw new UserError(`--to-xid "${flags.toXid}" is not a transaction id.`, 'Give the number, e.g. --to-xid 7481 (`pgdrill restore --before ...` finds it for you).');
  return { kind: 'xid', xid: flags.toXid!, inclusive };
}

/** `--copy-table <db.table>` or `<db.schema.table>`. */
function parseCopyTable(value: string): { database: string; schema: string; table: string } {
  const parts = value.split('.');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^\w+$/.test(p))) throw new UserError(`--copy-table "${value}" does not name a table.`, 'Write it as <database>.<table> or <database>.<schema>.<table>, e.g. payments_db.payments.');
  return parts.length === 2 ? { database: parts[0]!, schema: 'public', table: parts[1]! } : { database: parts[0]!, schema: parts[1]!, table: parts[2]! };
}

/** `pgdrill restore`: point-in-time recovery of the lab into a side cluster, then a table copied back or the lab switched to it. */
export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description(commandSummary('restore'))
    .option('--to-time <time>', 'recover up to this time (e.g. "2025-01-31 14:05:00+00")')
    .option('--to-lsn <lsn>', 'recover up to this WAL position (e.g. 0/3000060)')
    .option('--to-xid <xid>', 'recover up to this transaction id')
    .option('--before <sql>', 'recover to just before the last transaction matching DELETE FROM <table> | DROP TABLE <table> | TRUNCATE <table>, found in the archived WAL')
    .option('--database <name>', 'the database of the --before table (default: found by name)')
    .option('--inclusive', 'with --to-*: include the target itself (default: stop just before it)')
    .option('--copy-table <db.table>', 'copy this table (and tables it cascades to) from the side cluster into the live database; missing rows only')
    .option('--switch', 'make the side cluster the lab (the old data directory is kept aside)')
    .option('--dry-run', 'only show the recovery target and the base backup that would be used')
    .option('--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)')
    .action(async (flags: RestoreFlags) => {
      // Every flag is checked before the lab is touched.
      const given = parseTarget(flags);
      if (!flags.dryRun && Boolean(flags.copyTable) === Boolean(flags.switch)) throw new UserError('restore needs to know what to do with the restored data.', 'Add --copy-table <db.table> (copy one table back) or --switch (make the restored cluster the lab), or --dry-run to only show the plan.');
      const copy = flags.copyTable ? parseCopyTable(flags.copyTable) : undefined;
      const lab = new Lab({ labDir: flags.labDir, log: (line) => warn(`· ${line}`) });
      if (!(await lab.isRunning())) throw new UserError(`The lab in ${lab.labDir} is not running.`, 'Start it with `pgdrill lab up`; for a lost database, follow the database-lost runbook (`pgdrill drill database-lost` rehearses it).');
      let target: RecoveryTarget;
      let targetLsn: string | undefined;
      warn(`· archived the current WAL segment ${await archiveCurrentWal(lab)}`);
      if (given === 'before') {
        const found = await locateBadTransaction(lab, flags.before!, { database: flags.database ?? copy?.database });
        say(`Bad transaction: ${found.xid} in ${found.database}, committed ${found.commitTime} at LSN ${found.commitLsn}: ${found.evidence}.`);
        target = { kind: 'xid', xid: found.xid, inclusive: false };
        targetLsn = found.commitLsn;
      } else {
        target = given;
      }
      const backup = chooseBaseBackup(lab, target, targetLsn);
      say(`Recovery target: ${describeTarget(target)}; base backup ${backup.id} (WAL ${backup.manifest.base!.startLsn} → ${backup.manifest.base!.endLsn}).`);
      if (flags.dryRun) return;
      const cleanup = new CleanupStack(60_000);
      try {
        // A signal stops the restore's processes (cp, pg_ctl, psql) before the cleanup removes the side cluster.
        await cleanup.scope(async () => {
          const side = await restoreSideCluster(lab, target, { targetLsn, cleanup, log: (l) => warn(`· ${l}`) });
          const r = side.cluster.report!;
          say(`Side cluster restored in ${formatDuration(r.totalMs)} (copy ${formatDuration(r.copyMs)}, WAL replay ${formatDuration(r.recoveryMs)}): ${r.stopLine ?? `recovered to ${r.endLsn}`}.`);
          if (copy) {
            const result = await copyTableBack(lab, side.cluster, copy.database, copy.schema, copy.table);
            for (const t of result.tables) say(`  ${t.table}: ${t.recreated ? 'recreated, ' : ''}${t.inserted} rows inserted (${t.rowsInSide} in the side cluster)`);
            await side.cluster.destroy();
            say('Side cluster removed.');
          } else {
            const { oldDataDir } = await switchLabTo(lab, side.cluster, { keepOld: true });
            say(`The lab now runs the restored cluster on ${lab.endpoint.host}:${lab.endpoint.port}.${oldDataDir ? ` The previous data directory is kept in ${oldDataDir}; remove it when you no longer need it.` : ''}`);
          }
        });
      } finally {
        await cleanup.dispose();
      }
    });
}
