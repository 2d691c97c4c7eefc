import { paginateDescribeDBParameters, DescribeDBSnapshotsCommand, type DBInstance, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import { errorMessage } from '../core/errors.ts';
import { rdsCall } from './aws-errors.ts';
import { describeInstance } from './describe-instance.ts';

/** A fact that could not be read: why (the call and the error), for the check that needs it to skip with. */
export interface Unreadable {
  unreadable: string;
}

/**
 * What `check --rds` reads from the RDS API, once, read-only (Describe*
 * calls only): the instance, its parameter group's values, its snapshots,
 * and the status of its read replicas (or of itself, as one). A part that
 * could not be read holds the reason instead; the checks needing it skip.
 */
export interface RdsCheckFacts {
  instance: DBInstance;
  /** Parameter name → value set in the instance's parameter group (absent: engine default). */
  parameters: { group: string; values: Record<string, string> } | Unreadable;
  snapshots: DBSnapshot[] | Unreadable;
  /** The read replicas of this instance, described. */
  replicas: DBInstance[] | Unreadable;
}

/** True when a part of the facts holds the reason it could not be read instead of the fact. */
export function isUnreadable(value: unknown): value is Unreadable {
  return typeof value === 'object' && value !== null && 'unreadable' in value;
}

async function orUnreadable<T>(fn: () => Promise<T>): Promise<T | Unreadable> {
  try {
    return await fn();
  } catch (error) {
    return { unreadable: errorMessage(error) };
  }
}

/** Reads the `RdsCheckFacts` of instance `id`; the instance itself not being readable is a `UserError` (the command cannot run). */
export async function readRdsCheckFacts(client: RDSClient, id: string): Promise<RdsCheckFacts> {
  const instance = await describeInstance(client, id);
  const group = instance.DBParameterGroups?.[0]?.DBParameterGroupName;
  const parameters = await orUnreadable(async () => {
    if (!group) return { unreadable: 'the instance has no DB parameter group' };
    const values: Record<string, string> = {};
    await rdsCall('DescribeDBParameters', id, async () => {
      for await (const page of paginateDescribeDBParameters({ client }, { DBParameterGroupName: group })) {
        for (const p of page.Parameters ?? []) if (p.ParameterName && p.ParameterValue !== undefined) values[p.ParameterName] = p.ParameterValue;
      }
    });
    return { group, values };
  });
  const snapshots = await orUnreadable(async () => (await rdsCall('DescribeDBSnapshots', id, () => client.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id })))).DBSnapshots ?? []);
  const replicas = await orUnreadable(() => Promise.all((instance.ReadReplicaDBInstanceIdentifiers ?? []).map((r) => describeInstance(client, r))));
  return { instance, parameters, snapshots, replicas };
}
