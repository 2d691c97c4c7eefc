import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/check.ts';
import { RDS_CHECKS } from '../../src/checks/index.ts';
import { openCheckContext } from '../../src/checks/open-check-context.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { FakeRdsServer } from '../helpers/fake-rds-server.ts';
import { runCli } from '../helpers/run-cli.ts';

/**
 * `check --rds` through the real SDK over HTTP: a fake RDS Query-protocol
 * server answers DescribeDBInstances, DescribeDBParameters (paginated),
 * DescribeDBSnapshots. Each check is seen passing on a well-kept instance
 * and not passing on a neglected one; no mutating call is ever made.
 */
describe('check --rds', () => {
  const rds = new FakeRdsServer();
  const saved = { ...process.env };

  beforeAll(async () => {
    await rds.start();
    Object.assign(process.env, rds.env());
    rds.addInstance('payments-prod', { ReadReplicaDBInstanceIdentifiers: ['payments-replica'] });
    rds.addInstance('payments-replica', {
      ReadReplicaSourceDBInstanceIdentifier: 'payments-prod', MultiAZ: false,
      StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }],
    });
    rds.addSnapshot('payments-prod', 'automated', 3_600_000);
    rds.addSnapshot('payments-prod', 'automated', 86_400_000 + 3_600_000);
    rds.addSnapshot('payments-prod', 'manual', 2 * 86_400_000, 'payments-prod-pre-deploy');
    // The neglected one: every fact the other gets right, wrong.
    rds.parameterGroups.set('default.postgres15', {});
    rds.addInstance('legacy-db', {
      BackupRetentionPeriod: 7, LatestRestorableTime: new Date(Date.now() - 20 * 60_000), MultiAZ: false, DeletionProtection: false,
      StorageEncrypted: false, PerformanceInsightsEnabled: false, MonitoringInterval: 0, EngineVersion: '15.5',
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres15', ParameterApplyStatus: 'in-sync' }],
      ReadReplicaDBInstanceIdentifiers: ['legacy-replica'],
    });
    rds.addInstance('legacy-replica', { ReadReplicaSourceDBInstanceIdentifier: 'legacy-db', StatusInfos: [{ StatusType: 'read replication', Normal: false, Status: 'error', Message: 'replication stopped' }] });
    rds.addSnapshot('legacy-db', 'manual', 40 * 86_400_000, 'legacy-db-old');
  });

  afterAll(async () => {
    process.env = saved;
    await rds.stop();
  });

  async function check(id: string): Promise<Map<string, CheckResult>> {
    const { ctx, close } = await openCheckContext({ rds: { id } });
    try {
      return new Map((await runChecks(RDS_CHECKS, ctx)).map((r) => [r.id, r]));
    } finally {
      await close();
    }
  }

  it('a well-kept instance passes every check; a replica lag it cannot measure without --url is a warning saying so', async () => {
    const r = await check('payments-prod');
    for (const id of RDS_CHECKS.map((c) => c.id).filter((i) => i !== 'rds-replica-lag')) expect(r.get(id)?.status, `${id}: ${r.get(id)?.found}`).toBe('pass');
    expect(r.get('rds-backup-retention')?.found).toBe('automated backups kept 30 days');
    expect(r.get('rds-force-ssl')?.found).toBe('rds.force_ssl = 1 in payments-pg15');
    // Five parameters across two pages of DescribeDBParameters: the paginator followed the Marker.
    expect(r.get('rds-parameters')?.found).toContain('log_min_duration_statement 1 s');
    expect(r.get('rds-parameters')?.found).toContain('max_connections 200');
    expect(r.get('rds-snapshots')?.found).toMatch(/^2 automated .*newest manual payments-prod-pre-deploy/);
    expect(r.get('rds-replica-lag')).toMatchObject({ status: 'warn' });
    expect(r.get('rds-replica-lag')?.found).toMatch(/payments-replica replicating; lag unknown: lag is the CloudWatch metric ReplicaLag/);
    expect(rds.callsOf()).toEqual([]);
    expect(rds.callsOf('DescribeDBParameters').length).toBe(2);
  });

  it('a neglected instance fails (or warns on) each check, with the fix', async () => {
    const r = await check('legacy-db');
    const status = Object.fromEntries([...r].map(([id, x]) => [id, x.status]));
    expect(status).toEqual({
      'rds-backup-retention': 'fail', 'rds-latest-restorable-time': 'fail', 'rds-multi-az': 'fail', 'rds-deletion-protection': 'fail',
      'rds-storage-encrypted': 'fail', 'rds-force-ssl': 'fail', 'rds-parameters': 'fail', 'rds-snapshots': 'fail', 'rds-replica-lag': 'fail',
      'rds-performance-insights': 'warn', 'rds-enhanced-monitoring': 'warn',
    });
    expect(r.get('rds-backup-retention')?.fix).toContain('--backup-retention-period 30');
    expect(r.get('rds-latest-restorable-time')?.found).toMatch(/20 min ago/);
    expect(r.get('rds-force-ssl')?.found).toContain('default is 0');
    expect(r.get('rds-parameters')?.found).toContain('statement_timeout not set');
    expect(r.get('rds-snapshots')?.found).toBe('no automated snapshot; newest manual legacy-db-old 40 d old');
    expect(r.get('rds-replica-lag')?.found).toBe('legacy-replica error');
    expect(rds.callsOf()).toEqual([]);
  });

  it('the snapshot and replica checks on their middle ground: automated snapshots but an old manual one warns; a replicating replica checked as itself', async () => {
    rds.addInstance('orders-db', { ReadReplicaDBInstanceIdentifiers: [] });
    rds.addSnapshot('orders-db', 'automated', 3_600_000);
    rds.addSnapshot('orders-db', 'manual', 30 * 86_400_000, 'orders-db-march');
    const r = await check('orders-db');
    expect(r.get('rds-snapshots')).toMatchObject({ status: 'warn' });
    expect(r.get('rds-snapshots')?.fix).toContain('create-db-snapshot');
    expect(r.get('rds-replica-lag')).toMatchObject({ status: 'skip', found: 'not a read replica and has none' });
    const replica = await check('payments-replica');
    expect(replica.get('rds-replica-lag')).toMatchObject({ status: 'warn' });
    expect(replica.get('rds-multi-az')).toMatchObject({ status: 'fail' });
  });

  it('a permission the credentials lack skips only the checks that need it, naming the call and the IAM action', async () => {
    rds.failNext('DescribeDBParameters', 'AccessDenied', 403, 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: rds:DescribeDBParameters');
    const r = await check('payments-prod');
    expect(r.get('rds-force-ssl')?.status).toBe('skip');
    expect(r.get('rds-force-ssl')?.found).toMatch(/RDS DescribeDBParameters on payments-prod failed: access denied .*lack the permission rds:DescribeDBParameters/);
    expect(r.get('rds-parameters')?.status).toBe('skip');
    expect(r.get('rds-multi-az')?.status).toBe('pass');
  });

  it('throttled past the attempts, or not found: one paragraph naming the call and the instance', async () => {
    rds.failNext('DescribeDBInstances', 'Throttling', 400, 'Rate exceeded', 2);
    process.env.PGDRILL_RDS_MAX_ATTEMPTS = '2';
    try {
      await expect(openCheckContext({ rds: { id: 'payments-prod' } })).rejects.toThrow(/^RDS DescribeDBInstances on payments-prod failed: AWS throttled the call \(Throttling\) and the SDK's standard retry mode gave up after 2 attempts/);
    } finally {
      delete process.env.PGDRILL_RDS_MAX_ATTEMPTS;
    }
    await expect(openCheckContext({ rds: { id: 'nope-db' } })).rejects.toThrow(/^RDS DescribeDBInstances on nope-db failed: not found \(request id [0-9a-f-]+\): DBInstance nope-db not found/);
    // No region anywhere in the default chain, then no credentials: said as such, with where to set them.
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      await expect(openCheckContext({ rds: { id: 'payments-prod' } })).rejects.toThrow(/^RDS DescribeDBInstances on payments-prod failed: the AWS credentials or region could not be used .*Region is missing/);
    } finally {
      process.env.AWS_REGION = region;
    }
    const key = process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_ACCESS_KEY_ID;
    try {
      await expect(openCheckContext({ rds: { id: 'payments-prod' } })).rejects.toThrow(/^RDS DescribeDBInstances on payments-prod failed: the AWS credentials or region could not be used \(CredentialsProviderError\)/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = key;
    }
  });

  it('the CLI: same text, --json and --junit as check; exit 2 on a failure; access denied and throttling as the SDK sees them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdrill-rds-check-'));
    try {
      const json = path.join(dir, 'r.json');
      const junit = path.join(dir, 'r.xml');
      const bad = await runCli(['check', '--rds', 'legacy-db', '--region', 'eu-west-1', '--json', json, '--junit', junit], rds.env());
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stdout).toMatch(/^fail  rds-backup-retention +automated backups kept 7 days · seed: /m);
      expect(bad.stdout).toMatch(/11 checks: 0 pass, 2 warn, 9 fail, 0 skip: FAIL/);
      const report = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(report).toMatchObject({ status: 'fail', target: 'RDS legacy-db' });
      expect(report.checks.map((c: CheckResult) => c.id)).toEqual(RDS_CHECKS.map((c) => c.id));
      expect(fs.readFileSync(junit, 'utf8')).toContain('<testcase classname="pgdrill.check.backups" name="rds-backup-retention"');

      // Throttled twice, then answered: the SDK's standard retry mode retried; pgdrill has no loop of its own.
      const before = rds.callsOf('DescribeDBInstances').length;
      rds.failNext('DescribeDBInstances', 'Throttling', 400, 'Rate exceeded', 2);
      const good = await runCli(['check', '--rds', 'payments-prod', '--only', 'rds-multi-az,rds-backup-retention'], rds.env());
      expect(good.code, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/2 checks: 2 pass, 0 warn, 0 fail, 0 skip: PASS/);
      const described = rds.callsOf('DescribeDBInstances').slice(before);
      expect(described.map((c) => c.status).slice(0, 3)).toEqual([400, 400, 200]);

      rds.failNext('DescribeDBInstances', 'AccessDenied', 403, 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: rds:DescribeDBInstances');
      const denied = await runCli(['check', '--rds', 'payments-prod'], rds.env());
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/RDS DescribeDBInstances on payments-prod failed: access denied \(request id [0-9a-f-]+\): User: .* lack the permission rds:DescribeDBInstances/);
      expect(denied.stderr).not.toMatch(/\n\s+at /);

      expect(rds.callsOf()).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
