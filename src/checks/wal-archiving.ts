import { defineCheck } from './check.ts';

/** archive_mode, and whether an archive command or library is set (null: hidden from the checking role). */
export interface WalArchivingFacts {
  archiveMode: string;
  walLevel: string;
  commandSet: boolean | null;
}

/** `wal-archiving`: WAL is archived (archive_mode on, a command or library set), so point-in-time recovery is possible. */
export const walArchivingCheck = defineCheck<WalArchivingFacts>({
  id: 'wal-archiving',
  group: 'backups',
  title: 'WAL archiving on',
  seedSection: '5. Backup Strategy: Backup Architecture (point-in-time recovery)',
  expected: 'archive_mode = on (or always), wal_level replica or logical, archive_command or archive_library set',
  async read(ctx) {
    const [row] = await ctx.query(
      null,
      `SELECT current_setting('archive_mode') AS archive_mode, current_setting('wal_level') AS wal_level,
              (SELECT count(*) > 0 FROM pg_settings WHERE name IN ('archive_command', 'archive_library') AND setting <> '' AND setting <> '(disabled)') AS command_set,
              (SELECT count(*) FROM pg_settings WHERE name = 'archive_command') AS visible`,
    );
    return { archiveMode: String(row?.archive_mode), walLevel: String(row?.wal_level), commandSet: Number(row?.visible) > 0 ? row?.command_set === true : null };
  },
  judge(f) {
    const found = `archive_mode = ${f.archiveMode}, wal_level = ${f.walLevel}, archive command ${f.commandSet === null ? 'not visible to this role' : f.commandSet ? 'set' : 'empty'}`;
    if (f.archiveMode === 'off' || f.walLevel === 'minimal') return { status: 'fail', found, fix: "ALTER SYSTEM SET wal_level = 'replica'; ALTER SYSTEM SET archive_mode = 'on'; ALTER SYSTEM SET archive_command = '<copy %p to the archive>'; then restart PostgreSQL" };
    if (f.commandSet === false) return { status: 'fail', found, fix: "ALTER SYSTEM SET archive_command = '<copy %p to the archive>'; SELECT pg_reload_conf();" };
    return { status: 'pass', found };
  },
});
