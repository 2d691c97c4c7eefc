import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/core/result.ts';
import type { Lab } from '../../src/lab/lab.ts';
import { startSupervisedService, type SupervisedService } from '../../src/service/supervised-service.ts';
import { CHECKS_BY_ID, RDS_CHECKS } from '../../src/checks/index.ts';
import { openCheckContext } from '../../src/checks/open-check-context.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { openRdsGuide } from '../../src/rds/rds-plan.ts';
import { runRdsFailoverDrill } from '../../src/rds/rds-failover-drill.ts';
import { runRdsRestoreDrill } from '../../src/rds/rds-restore-drill.ts';
import { FakeRdsServer } from '../helpers/fake-rds-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startTestLab, tempDir } from '../helpers/test-lab.ts';

/** Runs `fn` with the AWS environment of `rds` in this process (the SDK reads process.env), restored after. */
async function withAwsEnv<T>(rds: FakeRdsServer, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, rds.env());
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

// One real PostgreSQL for the whole file (a lab costs seconds to start): it stands in for the instances' endpoints.
let lab: Lab;
beforeAll(async () => {
  ({ lab } = await startTestLab('rds-target'));
});

/**
 * `guide --target rds:<id>` through the real SDK over HTTP against the fake
 * RDS server, the CLI run as an operator without a terminal would run it
 * (--yes --confirm). The SQL verification talks to a real PostgreSQL (a
 * test lab stands in for the restored instance's endpoint).
 */
describe('guide --target rds', () => {
  const rds = new FakeRdsServer(150);
  let dir: string;
  let serviceUrl: string;
  let password: string;

  beforeAll(async () => {
    await rds.start();
    dir = tempDir('rds-guide-journals');
    serviceUrl = lab.serviceUrl('payments');
    password = decodeURIComponent(new URL(serviceUrl).password);
    const at = { Address: lab.endpoint.host, Port: lab.endpoint.port };
    rds.restoredEndpoint = at;
    rds.addInstance('payments-prod', { Endpoint: at });
    rds.tags.set(rds.arn('payments-prod'), { 'pgdrill:drill': 'allowed', team: 'payments' });
    rds.addInstance('payments-live', {});
    rds.addInstance('ledger-db', {});
    // Automated backups off: no point-in-time window; two manual snapshots (and none at all for bare-db).
    rds.addInstance('archive-db', { BackupRetentionPeriod: 0, LatestRestorableTime: undefined });
    rds.addSnapshot('archive-db', 'manual', 10 * 86_400_000, 'archive-db-older');
    rds.addSnapshot('archive-db', 'manual', 86_400_000, 'archive-db-newest');
    rds.addInstance('bare-db', { BackupRetentionPeriod: 0, LatestRestorableTime: undefined });
    rds.addInstance('orders-prod', { MultiAZ: false, ReadReplicaDBInstanceIdentifiers: ['orders-replica'] });
    rds.addInstance('orders-replica', { MultiAZ: false, ReadReplicaSourceDBInstanceIdentifier: 'orders-prod', StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }] });
    rds.tags.set(rds.arn('orders-prod'), { 'pgdrill:drill': 'allowed' });
  });

  afterAll(async () => {
    await rds.stop();
  });

  const journal = (name: string) => path.join(dir, `${name}.jsonl`);

  it('a point-in-time restore with --yes --confirm: the exact call, the SDK waiter through creating and backing-up, SQL on the new endpoint, the DATABASE_URL change', async () => {
    const j = journal('pitr');
    const run = await runCli(['guide', 'database-lost', '--target', 'rds:payments-prod', '--url', serviceUrl, '--yes', '--confirm', 'payments-prod', '--journal', j], rds.env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const restores = rds.callsOf('RestoreDBInstanceToPointInTime');
    expect(restores).toHaveLength(1);
    const p = restores[0]!.params;
    expect(p).toMatchObject({
      SourceDBInstanceIdentifier: 'payments-prod', UseLatestRestorableTime: 'true', DBSubnetGroupName: 'payments-subnets',
      DBParameterGroupName: 'payments-pg15', 'VpcSecurityGroupIds.VpcSecurityGroupId.1': 'sg-0a1', DBInstanceClass: 'db.t3.medium', MultiAZ: 'true',
    });
    expect(p.TargetDBInstanceIdentifier).toMatch(/^payments-prod-restored-\d{12}$/);
    const newId = p.TargetDBInstanceIdentifier!;
    // The SDK waiter polled the new instance until it was available (it was creating, then backing-up, for 150 ms each).
    const polls = rds.callsOf('DescribeDBInstances').filter((c) => c.params.DBInstanceIdentifier === newId);
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(run.stdout).toMatch(new RegExp(`state creating, .* elapsed \\(typical: 10-30 min`));
    // Each state change the waiter saw, in order (a loaded machine may poll past the short backing-up phase).
    const states = [...run.stdout.matchAll(/\| state ([a-z-]+), /g)].map((m) => m[1]);
    expect(states[0]).toBe('creating');
    expect(states.at(-1)).toBe('available');
    expect(states.every((st, i) => i === 0 || ['creating', 'backing-up', 'available'].indexOf(st!) > ['creating', 'backing-up', 'available'].indexOf(states[i - 1]!))).toBe(true);
    // The call was shown, with its parameters, before it ran; its request id is in the journal.
    const shown = run.stdout.indexOf('→ RDS RestoreDBInstanceToPointInTime {"SourceDBInstanceIdentifier":"payments-prod"');
    const accepted = run.stdout.indexOf(`← RestoreDBInstanceToPointInTime accepted, request id ${restores[0]!.requestId}`);
    expect(shown).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(shown);
    const text = fs.readFileSync(j, 'utf8');
    expect(text).toContain(restores[0]!.requestId);
    expect(text).toContain('"type":"confirmation"');
    expect(run.stdout).toMatch(/answers over SQL at 127\.0\.0\.1:\d+; writable; databases: .*payments_db/);
    expect(run.stdout).toMatch(/DATABASE_URL before: postgres:\/\/payments_service:\*+@127\.0\.0\.1/);
    expect(run.stdout).toMatch(/DATABASE_URL after: {2}postgres:\/\/payments_service:\*+@127\.0\.0\.1/);
    expect(run.stdout + text + run.stderr).not.toContain(password);
    // Only the one mutating call.
    expect(rds.callsOf().map((c) => c.action)).toEqual(['RestoreDBInstanceToPointInTime']);
  });

  it('--dry-run prints the exact calls and makes only read-only ones; accidental-deletion restores to --to-time, refused outside the window', async () => {
    const before = rds.calls.length;
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const dry = await runCli(['guide', 'accidental-deletion', '--target', 'rds:payments-live', '--to-time', at, '--dry-run'], rds.env());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`runs: RDS RestoreDBInstanceToPointInTime {"SourceDBInstanceIdentifier":"payments-live","TargetDBInstanceIdentifier":"payments-live-restored-`);
    expect(dry.stdout).toContain(`"RestoreTime":"${at}"`);
    expect(dry.stdout).toMatch(/Nothing was run \(--dry-run\)/);
    expect(dry.stdout).toMatch(/The destructive steps would be refused: payments-live is not tagged pgdrill:drill=allowed/);
    const made = rds.calls.slice(before).map((c) => c.action);
    expect(made).toEqual(['DescribeDBInstances', 'ListTagsForResource', 'DescribeDBInstanceAutomatedBackups']);

    await withAwsEnv(rds, async () => {
      await expect(openRdsGuide({ instanceId: 'payments-live', runbookId: 'accidental-deletion', toTime: new Date('2020-01-01T00:00:00Z') })).rejects.toThrow(/--to-time 2020-01-01T00:00:00.000Z is outside the restorable window of payments-live \(/);
      await expect(openRdsGuide({ instanceId: 'payments-live', runbookId: 'accidental-deletion' })).rejects.toThrow(/needs --to-time/);
      await expect(openRdsGuide({ instanceId: 'payments-live', runbookId: 'slow-query' })).rejects.toThrow(/The runbook slow-query has no RDS variant/);
    });
    expect(rds.callsOf()).toHaveLength(1);
  });

  it('database-lost without a point-in-time window restores from the newest snapshot; with no snapshot either, it says RDS has nothing to restore from', async () => {
    await withAwsEnv(rds, async () => {
      const bare = openRdsGuide({ instanceId: 'bare-db', runbookId: 'database-lost' });
      await expect(bare).rejects.toThrow(/bare-db has no point-in-time window and no available snapshot/);
    });
    const before = rds.callsOf().length;
    const run = await runCli(['guide', 'database-lost', '--target', 'rds:archive-db', '--allow-destructive', '--yes', '--confirm', 'archive-db', '--journal', journal('snapshot')], rds.env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/step 2\/5 restore-from-snapshot: Restore archive-db from the snapshot archive-db-newest into archive-db-restored-/);
    const made = rds.callsOf().slice(before);
    expect(made.map((c) => c.action)).toEqual(['RestoreDBInstanceFromDBSnapshot']);
    expect(made[0]!.params).toMatchObject({ DBSnapshotIdentifier: 'archive-db-newest', DBSubnetGroupName: 'payments-subnets', DBParameterGroupName: 'payments-pg15', 'VpcSecurityGroupIds.VpcSecurityGroupId.1': 'sg-0a1' });
    expect(run.stdout).toMatch(/state available, /);
  });

  it('an untagged instance without --allow-destructive: the restore is refused, nothing is created, and the resume command names the target', async () => {
    const before = rds.callsOf().length;
    const j = journal('refused');
    const run = await runCli(['guide', 'database-lost', '--target', 'rds:ledger-db', '--yes', '--confirm', 'ledger-db', '--journal', j], rds.env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/refused: This step is destructive .* the RDS instance ledger-db is not tagged pgdrill:drill=allowed/);
    expect(run.stderr).toMatch(/Pass --allow-destructive/);
    expect(rds.callsOf()).toHaveLength(before);
    // The way on names this target, so a resume acts on the same instance.
    expect(run.stderr).toContain(`pgdrill guide database-lost --resume ${j} --target rds:ledger-db`);
  });

  it('access denied on the restore: the step fails naming the call, the instance and the IAM action', async () => {
    const before = rds.callsOf().length;
    rds.failNext('RestoreDBInstanceToPointInTime', 'AccessDenied', 403, 'User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: rds:RestoreDBInstanceToPointInTime');
    const run = await runCli(['guide', 'database-lost', '--target', 'rds:payments-live', '--allow-destructive', '--yes', '--confirm', 'payments-live', '--journal', journal('denied')], rds.env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ failed in .*RDS RestoreDBInstanceToPointInTime on payments-live failed: access denied \(request id [0-9a-f-]+\).* lack the permission rds:RestoreDBInstanceToPointInTime/);
    expect(rds.callsOf().filter((c) => c.status === 200)).toHaveLength(before);
  });

  it('primary-failover: Multi-AZ fails over with RebootDBInstance ForceFailover and moves zone; single-AZ promotes its replica', async () => {
    const run = await runCli(['guide', 'primary-failover', '--target', 'rds:payments-prod', '--yes', '--confirm', 'payments-prod', '--journal', journal('failover')], rds.env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(rds.callsOf('RebootDBInstance').map((c) => c.params)).toEqual([expect.objectContaining({ DBInstanceIdentifier: 'payments-prod', ForceFailover: 'true' })]);
    expect(run.stdout).toMatch(/state rebooting, /);
    expect(run.stdout).toMatch(/verified: zone before eu-west-1a, now eu-west-1b/);

    const promote = await runCli(['guide', 'primary-failover', '--target', 'rds:orders-prod', '--yes', '--confirm', 'orders-prod', '--journal', journal('promote')], rds.env());
    expect(promote.code, promote.stderr + promote.stdout).toBe(0);
    expect(rds.callsOf('PromoteReadReplica').map((c) => c.params.DBInstanceIdentifier)).toEqual(['orders-replica']);
    expect(promote.stdout).toMatch(/NOT verified over SQL: no --url was given/);
    expect(promote.stdout).toMatch(/DATABASE_URL: replace the host orders-prod\.abc123\.eu-west-1\.rds\.amazonaws\.com:5432 with orders-replica\./);
  });

  it('check --rds with --url: the SQL checks and the RDS checks on one report; replica lag over SQL says why it is unknown', async () => {
    const { ctx, close } = await withAwsEnv(rds, () => openCheckContext({ url: lab.adminUrl('postgres'), rds: { id: 'orders-prod' } }));
    try {
      expect(ctx.target).toEqual({ kind: 'url', name: `127.0.0.1:${lab.endpoint.port} (RDS orders-prod)` });
      const [checksums, lag] = await runChecks([CHECKS_BY_ID.get('data-checksums')!, RDS_CHECKS.find((c) => c.id === 'rds-replica-lag')!], ctx);
      expect(checksums?.status).toBe('pass');
      // RDS lists a replica; the server behind --url streams to none (the lab has no replica): unknown, and why.
      expect(lag).toMatchObject({ status: 'warn' });
      expect(lag?.found).toMatch(/^orders-replica replicating; lag unknown: pg_stat_replication shows \S+ no streaming standby \(it needs pg_monitor/);
    } finally {
      await close();
    }
  });

  it('drill database-lost times a restore: a cost warning first, the copy verified over SQL, then deleted (kept with --keep)', async () => {
    const json = path.join(dir, 'restore.json');
    const before = rds.calls.length;
    const run = await runCli(['drill', 'database-lost', '--target', 'rds:orders-prod', '--url', serviceUrl, '--json', json], rds.env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const made = rds.calls.slice(before).filter((c) => ['RestoreDBInstanceToPointInTime', 'DeleteDBInstance'].includes(c.action));
    expect(made.map((c) => c.action)).toEqual(['RestoreDBInstanceToPointInTime', 'DeleteDBInstance']);
    const copy = made[0]!.params.TargetDBInstanceIdentifier!;
    expect(made[0]!.params).toMatchObject({ SourceDBInstanceIdentifier: 'orders-prod', UseLatestRestorableTime: 'true', MultiAZ: 'false', DeletionProtection: 'false', 'Tags.Tag.2.Key': 'pgdrill:drill' });
    expect(made[1]!.params).toMatchObject({ DBInstanceIdentifier: copy, SkipFinalSnapshot: 'true' });
    expect(run.stderr.indexOf(`Cost: this drill creates the RDS instance ${copy}`)).toBeGreaterThanOrEqual(0);
    expect(run.stderr.indexOf('Cost:')).toBeLessThan(run.stderr.indexOf('RDS RestoreDBInstanceToPointInTime {'));
    expect(run.stderr).toMatch(new RegExp(`Deleted ${copy} \\(DeleteDBInstance, request id`));
    const result = JSON.parse(fs.readFileSync(json, 'utf8')) as DrillResult;
    expect(result.status).toBe('passed');
    // creating, then backing-up, 150 ms each, then the SQL check: the RTO is the restore's own time.
    expect(result.rtoMs).toBeGreaterThanOrEqual(250);
    expect(result.rtoMs).toBeLessThan(20_000);
    // The fake's latest restorable time is a minute behind: that is what a loss at t0 would lose.
    expect(result.rpoMs).toBeGreaterThan(55_000);
    expect(result.rpoMs).toBeLessThan(120_000);
    expect(result.steps.map((s) => s.id)).toEqual(['restore-to-point-in-time', 'wait-available', 'verify-over-sql']);
    expect(run.stdout + run.stderr + fs.readFileSync(json, 'utf8')).not.toContain(password);

    const kept = await withAwsEnv(rds, () => runRdsRestoreDrill({ instanceId: 'payments-live', allowDestructive: true, keep: true }));
    expect(kept.status).toBe('passed');
    expect(kept.notes.join(' ')).toMatch(/not verified over SQL \(no --url\).*kept \(--keep\)/);
    expect(rds.callsOf('DeleteDBInstance')).toHaveLength(1);
    await expect(withAwsEnv(rds, () => runRdsRestoreDrill({ instanceId: 'payments-live', allowDestructive: false, keep: false }))).rejects.toThrow(/payments-live is not tagged pgdrill:drill=allowed/);

    // A copy that does not answer over SQL: the drill is an error, and the copy is deleted all the same.
    const wrong = new URL(serviceUrl);
    wrong.password = 'not-the-password';
    const failed = await withAwsEnv(rds, () => runRdsRestoreDrill({ instanceId: 'ledger-db', allowDestructive: true, keep: false, databaseUrl: wrong.href }));
    expect(failed.status).toBe('error');
    expect(failed.reasons[0]).toMatch(/^ledger-db-restored-\d{12} does not answer as a writable server over SQL at 127\.0\.0\.1:\d+: /);
    expect(rds.callsOf('DeleteDBInstance').map((c) => c.params.DBInstanceIdentifier)).toEqual([copy, expect.stringMatching(/^ledger-db-restored-/)]);
  });
});

/**
 * `drill primary-failover --target rds:<id>`: the real load against a real
 * service on a real PostgreSQL; the fault is the RDS API call (through the
 * real SDK to the fake RDS server), whose "rebooting" state the test makes
 * felt by the server (connections to the service's database refused and
 * cut until the instance is available again), as a failover is felt.
 */
describe('drill primary-failover --target rds', () => {
  const rds = new FakeRdsServer(1200);
  let service: SupervisedService;
  let databaseUrl: string;
  let dir: string;

  beforeAll(async () => {
    await rds.start();
    dir = tempDir('rds-drill-out');
    databaseUrl = lab.serviceUrl('payments');
    service = await startSupervisedService({ databaseUrl, connectTimeoutMs: 1000 });
    rds.addInstance('payments-staging', { MultiAZ: true });
    rds.tags.set(rds.arn('payments-staging'), { 'pgdrill:drill': 'allowed' });
    rds.addInstance('payments-prod', { MultiAZ: true });
    rds.addInstance('payments-single', { MultiAZ: false });
    let felt = Promise.resolve();
    rds.onStatus = (id, status) => {
      if (id !== 'payments-staging') return;
      if (status === 'rebooting') {
        felt = felt.then(async () => {
          await lab.query('postgres', 'ALTER DATABASE payments_db ALLOW_CONNECTIONS false');
          await lab.query('postgres', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'payments_db' AND pid <> pg_backend_pid()");
        });
      }
      if (status === 'available') felt = felt.then(() => lab.query('postgres', 'ALTER DATABASE payments_db ALLOW_CONNECTIONS true').then(() => undefined));
    };
  });

  afterAll(async () => {
    await service?.stop();
    await rds.stop();
  });

  it('measures RTO and RPO of a forced failover made through the API, under the load of the service', async () => {
    const json = path.join(dir, 'result.json');
    const run = await runCli(['drill', 'primary-failover', '--target', 'rds:payments-staging', '--service-url', service.url, '--url', databaseUrl, '--rate', '20', '--observe', '3s', '--json', json], rds.env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(rds.callsOf().map((c) => [c.action, c.params.DBInstanceIdentifier, c.params.ForceFailover])).toEqual([['RebootDBInstance', 'payments-staging', 'true']]);
    const result = JSON.parse(fs.readFileSync(json, 'utf8')) as DrillResult;
    expect(result.status).toBe('passed');
    // The database refused the service for the 1.5 s the instance was rebooting: requests failed, then it answered again.
    expect(result.failedRequests).toBeGreaterThan(0);
    expect(result.rtoMs).toBeGreaterThan(500);
    expect(result.rtoMs).toBeLessThan(30_000);
    expect(result.ackedWrites).toBeGreaterThan(20);
    expect(result.lostWrites).toBe(0);
    expect(result.fault.evidence).toMatch(/request id [0-9a-f-]+\); zone eu-west-1a → eu-west-1b/);
    expect(run.stderr).toMatch(/Cost: a forced failover creates nothing billed/);
    expect(run.stderr).toMatch(/payments-staging: rebooting, /);
  });

  it('refuses an untagged instance without --allow-destructive before any load or call', async () => {
    const before = rds.calls.length;
    await withAwsEnv(rds, () => expect(runRdsFailoverDrill({ instanceId: 'payments-prod', serviceUrl: service.url, databaseUrl, allowDestructive: false })).rejects.toThrow(/payments-prod is not tagged pgdrill:drill=allowed: pgdrill forces a failover on it only with --allow-destructive/));
    expect(rds.calls.slice(before).map((c) => c.action)).toEqual(['DescribeDBInstances', 'ListTagsForResource']);
    await withAwsEnv(rds, () => expect(runRdsFailoverDrill({ instanceId: 'payments-single', serviceUrl: service.url, databaseUrl, allowDestructive: true })).rejects.toThrow(/payments-single is single-AZ: it has no standby/));
    expect(rds.callsOf()).toHaveLength(1);
  });
});
