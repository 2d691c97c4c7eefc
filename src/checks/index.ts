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
import { rdsBackupRetentionCheck } from './rds-backup-retention.ts';
import { rdsDeletionProtectionCheck } from './rds-deletion-protection.ts';
import { rdsEnhancedMonitoringCheck } from './rds-enhanced-monitoring.ts';
import { rdsForceSslCheck } from './rds-force-ssl.ts';
import { rdsLatestRestorableTimeCheck } from './rds-latest-restorable-time.ts';
import { rdsMultiAzCheck } from './rds-multi-az.ts';
import { rdsParametersCheck } from './rds-parameters.ts';
import { rdsPerformanceInsightsCheck } from './rds-performance-insights.ts';
import { rdsReplicaLagCheck } from './rds-replica-lag.ts';
import { rdsSnapshotsCheck } from './rds-snapshots.ts';
import { rdsStorageEncryptedCheck } from './rds-storage-encrypted.ts';
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

/** The checks of an RDS instance (`check --rds`), read from the RDS API (Describe* calls only); ids are stable. */
export const RDS_CHECKS: readonly Check<any>[] = [
  rdsBackupRetentionCheck,
  rdsLatestRestorableTimeCheck,
  rdsMultiAzCheck,
  rdsDeletionProtectionCheck,
  rdsStorageEncryptedCheck,
  rdsForceSslCheck,
  rdsParametersCheck,
  rdsSnapshotsCheck,
  rdsReplicaLagCheck,
  rdsPerformanceInsightsCheck,
  rdsEnhancedMonitoringCheck,
];

/** The checks by id. */
export const CHECKS_BY_ID: ReadonlyMap<string, Check<any>> = new Map(CHECKS.map((c) => [c.id, c]));

export { CHECK_GROUPS, CheckSkipped, type Check, type CheckGroup, type CheckResult, type CheckStatus, type Verdict } from './check.ts';
export type { CheckContext, PoolerDeclaration, SessionFacts } from './context.ts';
export { seedSystem, type CheckedService, type CheckedSystem, type RecommendedIndex } from './system.ts';
