import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, ListTagsForResourceCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { UserError } from '../core/errors.ts';
import { rdsCall } from './aws-errors.ts';

/** The tag that allows destructive steps on an instance without --allow-destructive. */
export const DRILL_TAG = { key: 'pgdrill:drill', value: 'allowed' } as const;

/** One instance as DescribeDBInstances returns it (read-only call). A missing instance is a `UserError`. */
export async function describeInstance(client: RDSClient, id: string): Promise<DBInstance> {
  const out = await rdsCall('DescribeDBInstances', id, () => client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));
  const found = out.DBInstances?.[0];
  if (!found) throw new UserError(`RDS DescribeDBInstances returned no instance ${id}.`, 'Check the identifier and the region.');
  return found;
}

/** The instance's tags (ListTagsForResource, read-only), as a map. */
export async function instanceTags(client: RDSClient, instance: DBInstance): Promise<Record<string, string>> {
  const id = instance.DBInstanceIdentifier ?? '?';
  const out = await rdsCall('ListTagsForResource', id, () => client.send(new ListTagsForResourceCommand({ ResourceName: instance.DBInstanceArn })));
  return Object.fromEntries((out.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** True when the instance carries `pgdrill:drill=allowed`. */
export function drillAllowed(tags: Record<string, string>): boolean {
  return tags[DRILL_TAG.key] === DRILL_TAG.value;
}

/** `--target rds:<id>` → the instance identifier; anything else is a `UserError`. */
export function parseRdsTarget(value: string): string {
  const id = value.slice('rds:'.length);
  if (!value.startsWith('rds:') || !/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(id)) {
    throw new UserError(`--target ${value} does not name an RDS instance.`, 'Write it as --target rds:<DB instance identifier>, e.g. --target rds:payments-prod.');
  }
  return id;
}

/** The point-in-time window of an instance's automated backups (DescribeDBInstanceAutomatedBackups, read-only); null when it has none. */
export async function restorableWindow(client: RDSClient, id: string): Promise<{ earliest: Date; latest: Date } | null> {
  const out = await rdsCall('DescribeDBInstanceAutomatedBackups', id, () => client.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: id })));
  const w = out.DBInstanceAutomatedBackups?.find((b) => b.RestoreWindow?.EarliestTime && b.RestoreWindow.LatestTime)?.RestoreWindow;
  return w?.EarliestTime && w.LatestTime ? { earliest: w.EarliestTime, latest: w.LatestTime } : null;
}
