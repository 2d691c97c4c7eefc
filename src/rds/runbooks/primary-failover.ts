import { UserError } from '../../core/errors.ts';
import { defineRunbook, type Runbook } from '../../core/runbook.ts';
import { forceFailoverStep, promoteReplicaStep, zoneMovedStep } from '../failover-steps.ts';
import { describeSourceStep, switchUrlStep, verifySqlStep, waitStep, type RdsStepDeps } from '../restore-steps.ts';

/**
 * "Primary failure" on RDS: on a Multi-AZ instance, a forced failover to
 * the standby (RebootDBInstance ForceFailover), waited for and checked by
 * the zone; otherwise the promotion of its first read replica
 * (PromoteReadReplica), waited for, verified over SQL, with the
 * DATABASE_URL change. An instance with neither has nothing to fail over to.
 */
export function rdsPrimaryFailover(deps: RdsStepDeps): Runbook {
  const source = deps.target.instance;
  const id = deps.target.name;
  const head = { id: 'primary-failover', title: `Primary failure (RDS ${id})` };
  if (source.MultiAZ) {
    return defineRunbook({
      ...head,
      summary: `Use when ${id} fails or must move off its zone. It is Multi-AZ: RDS fails over to the synchronous standby in another zone and the endpoint follows; nothing acknowledged is lost, the services reconnect to the same DATABASE_URL.`,
      steps: [describeSourceStep(deps), forceFailoverStep(deps), waitStep(deps, id, '1-2 min'), zoneMovedStep(deps), verifySqlStep(deps, id)],
    });
  }
  const replica = source.ReadReplicaDBInstanceIdentifiers?.[0];
  if (!replica) {
    throw new UserError(`The RDS instance ${id} is neither Multi-AZ nor the source of a read replica: there is nothing to fail over to.`, 'Recover it with `pgdrill guide database-lost --target rds:<id>` (a point-in-time restore), and make it Multi-AZ (see `pgdrill check --rds`).');
  }
  return defineRunbook({
    ...head,
    summary: `Use when ${id} fails. It is single-AZ, so its read replica ${replica} is promoted to a standalone primary; writes it had not replayed are lost (asynchronous replication). The services must then point at ${replica}.`,
    steps: [describeSourceStep(deps), promoteReplicaStep(deps, replica), waitStep(deps, replica, '5-15 min', 'wait-promoted'), verifySqlStep(deps, replica), switchUrlStep(deps, replica)],
  });
}
