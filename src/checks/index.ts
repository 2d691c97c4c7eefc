import { archiveFailuresCheck } from './archive-failures.ts';
import { backupRestoreTestedCheck } from './backup-restore-tested.ts';
import { backupsRecentCheck } from './backups-recent.ts';
import type { Check } from './check.ts';
import { connectionHeadroomCheck } from './connection-headroom.ts';
import { dataChecksumsCheck } from './data-checksums.ts';
import { databasesCheck } from './databases.ts';
import { drillsRecentCheck } from './drills-recent.ts';
import { idleInTransactionTimeoutCheck } from './idle-in-transaction-timeout.ts';
import { indexesCheck } from './indexes.ts';
import { leastPrivilegeCheck } from './least-privilege.ts';
import { poolerCheck } from './pooler.ts';
import { replicationLagCheck } from './replication-lag.ts';
import { serviceRolesCheck } from './service-roles.ts';
import { slowQueryLogCheck } from './slow-query-log.ts';
import { sslCheck } from './ssl.ts';
import { statementTimeoutCheck } from './statement-timeout.ts';
import { statisticsCheck } from './statistics.ts';
import { unusedIndexesCheck } from './unused-indexes.ts';
import { walArchivingCheck } from './wal-archiving.ts';
import { wraparoundCheck } from './wraparound.ts';

/** Every readiness check, in the order they run and print; ids are stable. */
export const CHECKS: readonly Check<any>[] = [
  databasesCheck,
  serviceRolesCheck,
  leastPrivilegeCheck,
  sslCheck,
  statementTimeoutCheck,
  idleInTransactionTimeoutCheck,
  connectionHeadroomCheck,
  poolerCheck,
  walArchivingCheck,
  archiveFailuresCheck,
  backupsRecentCheck,
  backupRestoreTestedCheck,
  dataChecksumsCheck,
  slowQueryLogCheck,
  statisticsCheck,
  indexesCheck,
  unusedIndexesCheck,
  replicationLagCheck,
  wraparoundCheck,
  drillsRecentCheck,
];

/** The checks by id. */
export const CHECKS_BY_ID: ReadonlyMap<string, Check<any>> = new Map(CHECKS.map((c) => [c.id, c]));

export { CHECK_GROUPS, CheckSkipped, type Check, type CheckGroup, type CheckResult, type CheckStatus, type Verdict } from './check.ts';
export type { CheckContext, PoolerDeclaration, SessionFacts } from './context.ts';
export { seedSystem, type CheckedService, type CheckedSystem, type RecommendedIndex } from './system.ts';
