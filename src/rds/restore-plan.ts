import type { DBInstance, RestoreDBInstanceToPointInTimeCommandInput } from '@aws-sdk/client-rds';
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
  if (!window) throw new UserError(`The RDS instance ${id} has no point-in-time window (automated backups off, or none retained): it cannot be restored to a point in time.`, 'Restore from a manual snapshot instead (aws rds restore-db-instance-from-db-snapshot).');
  if (point.kind === 'time') {
    const { earliest, latest } = window;
    if (point.time < earliest || point.time > latest) {
      throw new UserError(`--to-time ${point.time.toISOString()} is outside the restorable window of ${id} (${earliest.toISOString()} to ${latest.toISOString()}).`, 'Choose a time inside the window (before the damage, after the earliest restorable time).');
    }
  }
  const params: RestoreDBInstanceToPointInTimeCommandInput = {
    SourceDBInstanceIdentifier: id,
    TargetDBInstanceIdentifier: target,
    ...(point.kind === 'latest' ? { UseLatestRestorableTime: true } : { RestoreTime: point.time }),
    ...(source.DBInstanceClass ? { DBInstanceClass: source.DBInstanceClass } : {}),
    ...(source.DBSubnetGroup?.DBSubnetGroupName ? { DBSubnetGroupName: source.DBSubnetGroup.DBSubnetGroupName } : {}),
    ...(source.DBParameterGroups?.[0]?.DBParameterGroupName ? { DBParameterGroupName: source.DBParameterGroups[0].DBParameterGroupName } : {}),
    VpcSecurityGroupIds: (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    ...(source.Endpoint?.Port ? { Port: source.Endpoint.Port } : {}),
    PubliclyAccessible: source.PubliclyAccessible ?? false,
    MultiAZ: options.forDrill ? false : (source.MultiAZ ?? false),
    DeletionProtection: options.forDrill ? false : (source.DeletionProtection ?? false),
    Tags: [{ Key: 'pgdrill:restored-from', Value: id }, ...(options.forDrill ? [{ Key: 'pgdrill:drill', Value: 'allowed' }] : [])],
  };
  return params;
}
