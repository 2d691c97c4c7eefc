import { PromoteReadReplicaCommand, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import type { RunbookStep } from '../core/runbook.ts';
import { describeInstance } from './describe-instance.ts';
import { mutatingCall, showCall } from './mutating-call.ts';
import { RESTORED_KEY, type RdsStepDeps, type RestoredInstance } from './restore-steps.ts';

/** Memory key of the availability zone the primary was in before a forced failover. */
const ZONE_BEFORE = 'rds-zone-before-failover';

/**
 * Step (destructive: connections drop for a minute or two): RebootDBInstance
 * with ForceFailover on a Multi-AZ instance, so its standby in the other
 * zone becomes the primary. The zone before is kept in the memory for the
 * check after.
 */
export function forceFailoverStep(deps: RdsStepDeps): RunbookStep {
  const id = deps.target.name;
  const spec = { call: 'RebootDBInstance', instance: id, params: { DBInstanceIdentifier: id, ForceFailover: true } };
  return {
    id: 'force-failover',
    title: `Fail ${id} over to its standby`,
    why: 'On Multi-AZ, RDS keeps a synchronous standby in another zone; a reboot with failover promotes it and moves the endpoint\'s DNS to it. Committed transactions are on the standby (synchronous replication): nothing acknowledged is lost.',
    expect: 'The call is accepted; connections drop while DNS moves (typically 60-120 s); the instance returns available in the other zone.',
    command: { kind: 'action', text: showCall(spec) },
    destructive: { touches: `every connection to ${id} (they drop during the failover)` },
    timeoutMs: 120_000,
    async run(ctx) {
      const before = await describeInstance(deps.target.client, id);
      ctx.memory.set(ZONE_BEFORE, before.AvailabilityZone ?? 'unknown');
      ctx.output(`${id} is in ${before.AvailabilityZone ?? 'an unknown zone'} (secondary ${before.SecondaryAvailabilityZone ?? 'not reported'})`);
      await mutatingCall(ctx, spec, (p) => deps.target.client.send(new RebootDBInstanceCommand(p)));
      ctx.memory.set(RESTORED_KEY, { id } satisfies RestoredInstance);
    },
  };
}

/** Step: the primary now runs in another zone than before the failover (read-only). */
export function zoneMovedStep(deps: RdsStepDeps): RunbookStep {
  const id = deps.target.name;
  return {
    id: 'check-zone-moved',
    title: `Check that ${id} moved to the other zone`,
    why: 'A reboot that did not fail over looks the same from outside; the zone says which happened.',
    expect: 'The availability zone differs from before the failover.',
    command: { kind: 'action', text: `RDS DescribeDBInstances {"DBInstanceIdentifier":"${id}"}` },
    timeoutMs: 60_000,
    async verify(ctx) {
      const before = ctx.memory.get<string>(ZONE_BEFORE) ?? 'unknown';
      const now = (await describeInstance(deps.target.client, id)).AvailabilityZone ?? 'unknown';
      return { ok: now !== before, detail: `zone before ${before}, now ${now}` };
    },
  };
}

/** Step (destructive: the replica stops following its primary for good): PromoteReadReplica on `replica`. */
export function promoteReplicaStep(deps: RdsStepDeps, replica: string): RunbookStep {
  const spec = { call: 'PromoteReadReplica', instance: replica, params: { DBInstanceIdentifier: replica, BackupRetentionPeriod: Math.max(deps.target.instance.BackupRetentionPeriod ?? 0, 1) } };
  return {
    id: 'promote-read-replica',
    title: `Promote the read replica ${replica}`,
    why: `${deps.target.name} is not Multi-AZ, so there is no standby to fail over to; its read replica becomes a standalone, writable instance. It was asynchronous: writes it had not replayed are lost (check its lag first).`,
    expect: `The call is accepted; ${replica} goes through "modifying" and a backup, then is available and writable (typically 5-15 min).`,
    command: { kind: 'action', text: showCall(spec) },
    destructive: { touches: `the read replica ${replica} (it stops replicating from ${deps.target.name}, for good)` },
    timeoutMs: 120_000,
    async run(ctx) {
      await mutatingCall(ctx, spec, (p) => deps.target.client.send(new PromoteReadReplicaCommand(p)));
      ctx.memory.set(RESTORED_KEY, { id: replica } satisfies RestoredInstance);
    },
  };
}
