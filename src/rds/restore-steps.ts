import { RestoreDBInstanceFromDBSnapshotCommand, RestoreDBInstanceToPointInTimeCommand, type DBInstance, type RestoreDBInstanceFromDBSnapshotCommandInput, type RestoreDBInstanceToPointInTimeCommandInput } from '@aws-sdk/client-rds';
import pg from 'pg';
import type { RunbookStep, StepContext } from '../core/runbook.ts';
import { UserError, describeError } from '../core/errors.ts';
import { redact } from '../util/redact.ts';
import { describeInstance, restorableWindow } from './describe-instance.ts';
import { mutatingCall, showCall } from './mutating-call.ts';
import type { WaiterTiming } from './rds-client.ts';
import type { RdsTarget } from './rds-target.ts';
import { progressLines, waitAvailable } from './wait-available.ts';

/** What the RDS steps of one session share: the target (its client, the source instance, the --url) and the waiter timing. */
export interface RdsStepDeps {
  target: RdsTarget;
  timing: WaiterTiming;
}

/** Memory key of the instance a step made or acts on next: `{ id, endpoint? }`. */
export const RESTORED_KEY = 'rds-restored';

/** The instance a restore made, as the session memory holds it. */
export interface RestoredInstance {
  id: string;
  endpoint?: { host: string; port: number };
}

const show = (d: Date | undefined) => (d ? d.toISOString() : 'none');

/** Step: describe the source instance and its restorable window (read-only). */
export function describeSourceStep(deps: RdsStepDeps): RunbookStep {
  const id = deps.target.name;
  return {
    id: 'describe-instance',
    title: `Describe ${id} and its restorable window`,
    why: 'Know what you are recovering before acting: its state, where it runs (subnet group, parameter group, security groups) and the window point-in-time restore can reach (earliest to latest restorable time).',
    expect: 'The instance state, its endpoint, and a restorable window ending a few minutes ago.',
    command: { kind: 'action', text: `RDS DescribeDBInstances and DescribeDBInstanceAutomatedBackups {"DBInstanceIdentifier":"${id}"}` },
    timeoutMs: 120_000,
    async run(ctx) {
      const i = await describeInstance(deps.target.client, id);
      ctx.output(`${id}: ${i.DBInstanceStatus}, ${i.Engine} ${i.EngineVersion}, ${i.DBInstanceClass}, ${i.MultiAZ ? 'Multi-AZ' : 'single-AZ'} in ${i.AvailabilityZone ?? '?'}`);
      ctx.output(`endpoint ${i.Endpoint?.Address ?? 'none'}:${i.Endpoint?.Port ?? ''}; subnet group ${i.DBSubnetGroup?.DBSubnetGroupName ?? 'none'}; parameter group ${i.DBParameterGroups?.[0]?.DBParameterGroupName ?? 'none'}; security groups ${(i.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId).join(', ') || 'none'}`);
      const w = await restorableWindow(deps.target.client, id);
      ctx.output(w ? `restorable window ${show(w.earliest)} to ${show(w.latest)} (backups kept ${i.BackupRetentionPeriod ?? 0} days)` : 'NO restorable window: automated backups are off or none is retained; only a snapshot restore is possible');
      if (i.ReadReplicaDBInstanceIdentifiers?.length) ctx.output(`read replicas: ${i.ReadReplicaDBInstanceIdentifiers.join(', ')}`);
    },
  };
}

/** A restore into a new instance, as a session will request it: to a point in time, or from a snapshot (no point-in-time window). */
export type RestoreRequest =
  | { call: 'RestoreDBInstanceToPointInTime'; params: RestoreDBInstanceToPointInTimeCommandInput }
  | { call: 'RestoreDBInstanceFromDBSnapshot'; params: RestoreDBInstanceFromDBSnapshotCommandInput };

/** The identifier of the instance a restore creates. */
export function restoredIdOf(request: RestoreRequest): string {
  return (request.call === 'RestoreDBInstanceToPointInTime' ? request.params.TargetDBInstanceIdentifier : request.params.DBInstanceIdentifier) ?? '?';
}

/** Step (destructive: it creates a billed instance): the restore call with exactly its parameters. Resumed after it was accepted, it does not call again. */
export function restoreStep(deps: RdsStepDeps, request: RestoreRequest): RunbookStep {
  const target = restoredIdOf(request);
  const spec = { call: request.call, instance: deps.target.name, params: request.params };
  const pitr = request.call === 'RestoreDBInstanceToPointInTime' ? request.params : undefined;
  const from = request.call === 'RestoreDBInstanceToPointInTime'
    ? (request.params.UseLatestRestorableTime ? 'to its latest restorable time' : `to ${request.params.RestoreTime?.toISOString()}`)
    : `from the snapshot ${request.params.DBSnapshotIdentifier}`;
  return {
    id: pitr ? 'restore-to-point-in-time' : 'restore-from-snapshot',
    title: `Restore ${deps.target.name} ${from} into ${target}`,
    why: pitr
      ? 'RDS restores into a new instance (it never overwrites the source): the newest automated snapshot before the point, then the WAL up to it. The new instance gets the source\'s network, parameter group and security groups, so the services can reach it once they point at it.'
      : `${deps.target.name} has no point-in-time window (automated backups off), so its newest snapshot is the latest copy RDS has: everything written after the snapshot is lost. The new instance gets the source's network, parameter group and security groups.`,
    expect: `RDS accepts the call (a request id) and ${target} starts "creating". It is billed like ${request.params.DBInstanceClass ?? 'the source'} from now until it is deleted.`,
    command: { kind: 'action', text: showCall(spec) },
    destructive: { touches: `a new, billed RDS instance ${target} restored from ${deps.target.name}` },
    timeoutMs: 120_000,
    async run(ctx) {
      const done = ctx.memory.get<RestoredInstance>(RESTORED_KEY);
      if (done?.id === target) {
        ctx.output(`${target} was already requested in this session; not calling again`);
        return;
      }
      if (request.call === 'RestoreDBInstanceToPointInTime') await mutatingCall(ctx, { ...spec, params: request.params }, (p) => deps.target.client.send(new RestoreDBInstanceToPointInTimeCommand(p)));
      else await mutatingCall(ctx, { ...spec, params: request.params }, (p) => deps.target.client.send(new RestoreDBInstanceFromDBSnapshotCommand(p)));
      ctx.memory.set(RESTORED_KEY, { id: target } satisfies RestoredInstance);
    },
  };
}

/** Step: wait with the SDK waiter until `instanceId` (or the one the memory names) is available, showing state, elapsed time and what is typical. */
export function waitStep(deps: RdsStepDeps, fallbackId: string, typical: string, id = 'wait-available'): RunbookStep {
  return {
    id,
    title: `Wait until ${fallbackId} is available`,
    why: 'The instance answers only once RDS reports it "available"; until then its endpoint does not exist or refuses connections.',
    expect: `Its state moves (creating, backing-up, modifying, rebooting) to available; typical: ${typical}.`,
    command: { kind: 'action', text: `SDK waiter waitUntilDBInstanceAvailable {"DBInstanceIdentifier":"${fallbackId}"}, polling every ${deps.timing.minDelay}-${deps.timing.maxDelay} s, up to ${Math.round(deps.timing.maxWaitTime / 60)} min` },
    timeoutMs: Math.round(deps.timing.maxWaitTime * 1000 + 120_000),
    async run(ctx) {
      const name = ctx.memory.get<RestoredInstance>(RESTORED_KEY)?.id ?? fallbackId;
      const i = await waitAvailable(deps.target.client, name, deps.timing, progressLines((l) => ctx.output(l), typical), ctx.signal);
      const endpoint = i.Endpoint?.Address ? { host: i.Endpoint.Address, port: i.Endpoint.Port ?? 5432 } : undefined;
      ctx.output(`${name} is available${endpoint ? ` at ${endpoint.host}:${endpoint.port}` : ''}${i.AvailabilityZone ? ` in ${i.AvailabilityZone}` : ''}`);
      ctx.memory.set(RESTORED_KEY, { id: name, ...(endpoint ? { endpoint } : {}) } satisfies RestoredInstance);
    },
  };
}

async function currentInstance(deps: RdsStepDeps, ctx: StepContext, fallbackId: string): Promise<{ id: string; endpoint: { host: string; port: number } | undefined }> {
  const known = ctx.memory.get<RestoredInstance>(RESTORED_KEY);
  if (known?.endpoint) return { id: known.id, endpoint: known.endpoint };
  const i: DBInstance = await describeInstance(deps.target.client, known?.id ?? fallbackId);
  return { id: known?.id ?? fallbackId, endpoint: i.Endpoint?.Address ? { host: i.Endpoint.Address, port: i.Endpoint.Port ?? 5432 } : undefined };
}

/**
 * Step: verify over SQL that the instance answers and holds the databases
 * (with the --url's user and password, pointed at its endpoint). Without
 * --url the step says plainly that nothing was verified over SQL and how
 * to do it by hand; an endpoint that does not answer fails the step.
 */
export function verifySqlStep(deps: RdsStepDeps, fallbackId: string): RunbookStep {
  return {
    id: 'verify-over-sql',
    title: `Verify ${fallbackId} over SQL`,
    why: '"available" is RDS\'s word; the recovery is real when PostgreSQL answers on the new endpoint, writable, with the databases in it.',
    expect: 'A connection, pg_is_in_recovery() false, and the service databases listed.',
    command: { kind: 'action', text: "SQL on the instance's endpoint (the --url's user): SELECT pg_is_in_recovery(); SELECT datname FROM pg_database WHERE NOT datistemplate" },
    timeoutMs: 60_000,
    async run(ctx) {
      const { id, endpoint } = await currentInstance(deps, ctx, fallbackId);
      if (!endpoint) throw new Error(`${id} has no endpoint yet: wait until it is available`);
      const url = deps.target.urlFor(endpoint);
      if (!url) {
        ctx.output(`NOT verified over SQL: no --url was given, so pgdrill has no user and password for ${id}.`);
        ctx.output(`Verify by hand: psql "host=${endpoint.host} port=${endpoint.port} user=<user> dbname=<database> sslmode=require" -c 'SELECT pg_is_in_recovery()'`);
        return;
      }
      ctx.output(await checkOverSql(url, id, endpoint));
    },
  };
}

/**
 * Connects to an instance with `url` (its endpoint) and checks it answers,
 * writable, listing its databases: the line to show. Not answering, or
 * still in recovery, is an error naming the instance and endpoint
 * (password masked).
 */
export async function checkOverSql(url: string, id: string, endpoint: { host: string; port: number }): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 15_000, application_name: 'pgdrill-runbook' });
  client.on('error', () => {});
  try {
    await client.connect();
    const recovery = (await client.query('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true;
    const dbs = (await client.query('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1')).rows.map((r) => String(r.datname));
    if (recovery) throw new Error('it is still in recovery (read-only): wait and retry');
    return `${id} answers over SQL at ${endpoint.host}:${endpoint.port}; writable; databases: ${dbs.join(', ')}`;
  } catch (error) {
    throw new UserError(redact(`${id} does not answer as a writable server over SQL at ${endpoint.host}:${endpoint.port}: ${describeError(error)}`), 'Check the --url (user, password, database) and that the instance\'s security groups let this machine in; then retry.');
  } finally {
    await client.end().catch(() => {});
  }
}

/** Step: show the new endpoint and the exact change to the services' DATABASE_URL (pgdrill does not change secrets; a person does). */
export function switchUrlStep(deps: RdsStepDeps, fallbackId: string): RunbookStep {
  return {
    id: 'point-services',
    title: `Point the services at ${fallbackId}`,
    why: 'The services still hold the old endpoint in their DATABASE_URL (or secret). Until it changes and they restart (or their pool reconnects), they talk to the old instance.',
    expect: 'The old and the new DATABASE_URL side by side (passwords masked); then update the secret and restart the services.',
    command: { kind: 'action', text: 'print the new endpoint and the DATABASE_URL change' },
    manual: 'Update DATABASE_URL (or the secret it comes from, e.g. in Secrets Manager) to the new endpoint, roll the services, and watch their error rate. To keep the old hostname instead, rename: the old instance to <id>-old, then the new one to the old identifier (aws rds modify-db-instance --new-db-instance-identifier ... --apply-immediately).',
    timeoutMs: 60_000,
    async run(ctx) {
      const { id, endpoint } = await currentInstance(deps, ctx, fallbackId);
      if (!endpoint) throw new Error(`${id} has no endpoint yet: wait until it is available`);
      const old = deps.target.endpoint;
      ctx.output(`new endpoint: ${endpoint.host}:${endpoint.port} (instance ${id})`);
      const before = deps.target.sqlUrl ? deps.target.adminUrl(deps.target.sqlUrl.database) : null;
      const after = deps.target.urlFor(endpoint);
      if (before && after) {
        ctx.output(`DATABASE_URL before: ${redact(before)}`);
        ctx.output(`DATABASE_URL after:  ${redact(after)}`);
      } else {
        ctx.output(`DATABASE_URL: replace the host ${old.host}:${old.port} with ${endpoint.host}:${endpoint.port}; user, password, database and options stay the same`);
      }
      ctx.output('pgdrill does not change your secrets: update DATABASE_URL, roll the services, then delete the old instance once nobody needs it.');
    },
  };
}
