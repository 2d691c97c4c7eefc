import type { DBInstance, DBSnapshot, RestoreDBInstanceFromDBSnapshotCommandInput, RestoreDBInstanceToPointInTimeCommandInput } from '@aws-sdk/client-rds';
import { UserError } from '../core/errors.ts';

/** Where a restore goes back to: the latest restorable time, or a moment (`--to-time`). */
export type RestorePoint = { kind: 'latest' } | { kind: 'time'; time: Date };

/** The name of the instance a restore makes: `<source>-restored-<UTC yyyymmddhhmm>` (at most 63 characters). */
export function restoredInstanceId(source: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${source.slice(0, 63 - '-restored-'.length - stamp.length)}-restored-${stamp}`;
}

/** `--to-time` as a Date; not a time is a `UserError`. */
export function parseToTime(value: string): Date {
  const t = new Date(value);
  if (!/\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t.getTime())) throw new UserError(`--to-time ${value} is not a time.`, 'Write it in ISO 8601 with its zone, e.g. --to-time 2026-03-05T03:11:00Z.');
  return t;
}

/**
 * The exact RestoreDBInstanceToPointInTime parameters that recreate
 * `source` as it was at `point` in a new instance: the source's class,
 * subnet group, parameter group, VPC security groups, port, public access,
 * Multi-AZ, deletion protection (off when `forDrill`: a drill deletes what
 * it made) and a tag naming the source. No window, or a time outside
 * it, is a `UserError` naming the window.
 */
export function pointInTimeRestoreParams(source: DBInstance, window: { earliest: Date; latest: Date } | null, point: RestorePoint, target: string, options: { forDrill?: boolean } = {}): RestoreDBInstanceToPointInTimeCommandInput {
  const id = source.DBInstanceIdentifier ?? '?';
  if (!window) throw new UserError(`The RDS instance ${id} has no point-in-time window (automated backups off, or none retained): it cannot be restored to a point in time.`, 'Restore it from its newest snapshot: `pgdrill guide database-lost --target rds:<id>` does so when there is no window.');
  if (point.kind === 'time') {
    const { earliest, latest } = window;
    if (point.time < earliest || point.time > latest) {
      throw new UserError(`--to-time ${point.time.toISOString()} is outside the restorable window of ${id} (${earliest.toISOString()} to ${latest.toISOString()}).`, 'Choose a time inside the window (before the damage, after the earliest restorable time).');
    }
  }
  return {
    SourceDBInstanceIdentifier: id,
    TargetDBInstanceIdentifier: target,
    ...(point.kind === 'latest' ? { UseLatestRestorableTime: true } : { RestoreTime: point.time }),
    ...placementOf(source, options.forDrill === true),
  };
}

/**
 * Where a restored copy of `source` runs and how, as both restore calls
 * take it: the source's class, subnet group, parameter group, VPC security
 * groups, port, public access, Multi-AZ and deletion protection (both off
 * for a drill's copy, which is deleted after), and tags naming the source
 * (and allowing drills on a drill's copy).
 */
function placementOf(source: DBInstance, forDrill: boolean): Omit<RestoreDBInstanceFromDBSnapshotCommandInput, 'DBInstanceIdentifier' | 'DBSnapshotIdentifier'> {
  const id = source.DBInstanceIdentifier ?? '?';
  return {
    ...(source.DBInstanceClass ? { DBInstanceClass: source.DBInstanceClass } : {}),
    ...(source.DBSubnetGroup?.DBSubnetGroupName ? { DBSubnetGroupName: source.DBSubnetGroup.DBSubnetGroupName } : {}),
    ...(source.DBParameterGroups?.[0]?.DBParameterGroupName ? { DBParameterGroupName: source.DBParameterGroups[0].DBParameterGroupName } : {}),
    VpcSecurityGroupIds: (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    ...(source.Endpoint?.Port ? { Port: source.Endpoint.Port } : {}),
    PubliclyAccessible: source.PubliclyAccessible ?? false,
    MultiAZ: forDrill ? false : (source.MultiAZ ?? false),
    DeletionProtection: forDrill ? false : (source.DeletionProtection ?? false),
    Tags: [{ Key: 'pgdrill:restored-from', Value: id }, ...(forDrill ? [{ Key: 'pgdrill:drill', Value: 'allowed' }] : [])],
  };
}

/**
 * The exact RestoreDBInstanceFromDBSnapshot parameters that recreate
 * `source` from its newest available snapshot (automated or manual) in a
 * new instance, placed as `placementOf` says; no snapshot is a `UserError`.
 * For an instance without a point-in-time window (automated backups off).
 */
export function snapshotRestoreParams(source: DBInstance, snapshots: readonly DBSnapshot[], target: string): RestoreDBInstanceFromDBSnapshotCommandInput {
  const id = source.DBInstanceIdentifier ?? '?';
  const newest = snapshots.filter((s) => s.Status === 'available' && s.SnapshotCreateTime && s.DBSnapshotIdentifier).sort((a, b) => b.SnapshotCreateTime!.getTime() - a.SnapshotCreateTime!.getTime())[0];
  if (!newest) throw new UserError(`The RDS instance ${id} has no point-in-time window and no available snapshot: RDS has nothing to restore it from.`, 'Look for a copy elsewhere (a pg_dump, a snapshot in another region or account), and turn automated backups on (see `pgdrill check --rds`).');
  return { DBInstanceIdentifier: target, DBSnapshotIdentifier: newest.DBSnapshotIdentifier!, ...placementOf(source, false) };
}
