import type { Fault } from './fault.ts';
import { lockBlocker } from './lock-blocker.ts';

/** application_name of the migration's session, as a deploy tool would set it. */
export const MIGRATION_APPLICATION = 'pgdrill-migration';

/** The column the migration adds: a runbook confirms it is absent once the migration rolled back. */
export const MIGRATION_COLUMN = 'pgdrill_migrated_at';

/**
 * A schema migration holds ACCESS EXCLUSIVE on the ledger table: in one
 * transaction it adds a NOT NULL column with a volatile default (which
 * rewrites the table, under ACCESS EXCLUSIVE) and then runs a long step
 * (a backfill, here `pg_sleep`) without committing, with no lock_timeout
 * and no statement_timeout. Every query on the table queues behind it.
 * Built on `lockBlocker`; revert terminates the migration's session if the
 * runbook has not (the migration then rolls back).
 */
export function migrationLock(options: { database?: string; table?: string } = {}): Fault {
  return lockBlocker({
    ...options,
    held: {
      name: 'migration-lock',
      applicationName: MIGRATION_APPLICATION,
      description: `a migration rewrites ${options.table ?? 'the ledger table (payments)'} (ADD COLUMN ... DEFAULT clock_timestamp()) and keeps its transaction open, holding ACCESS EXCLUSIVE`,
      sql: (qualified) =>
        `BEGIN; ALTER TABLE ${qualified} ADD COLUMN ${MIGRATION_COLUMN} timestamptz NOT NULL DEFAULT clock_timestamp(); SELECT pg_sleep(3600) AS backfill_step;`,
    },
  });
}
