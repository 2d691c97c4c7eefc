import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server answered: the Query protocol's Action and its form parameters. */
export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  status: number;
  /** The request id the answer carried (header and body). */
  requestId: string;
}

/** A scripted error answer: the next `times` calls of `action` get it. */
export interface ScriptedError {
  action: string;
  code: string;
  status: number;
  message: string;
  times: number;
  type?: 'Sender' | 'Receiver';
}

type Value = string | number | boolean | Date | Value[] | { [key: string]: Value | undefined };
/** A DB instance as the RDS API reference shapes it (field names as in the XML). */
export type FakeInstance = Record<string, Value | undefined> & { DBInstanceIdentifier: string; DBInstanceStatus: string };

/** Actions that change something in the account; `--dry-run` and `check` must never send one. */
export const MUTATING_ACTIONS = new Set([
  'RestoreDBInstanceToPointInTime', 'RestoreDBInstanceFromDBSnapshot', 'RebootDBInstance', 'PromoteReadReplica',
  'DeleteDBInstance', 'ModifyDBInstance', 'CreateDBSnapshot', 'CreateDBInstance', 'AddTagsToResource', 'FailoverDBCluster',
]);

/** The element name of one member of each list, as the RDS API reference's XML names it. */
const MEMBER: Record<string, string> = {
  DBInstances: 'DBInstance', VpcSecurityGroups: 'VpcSecurityGroupMembership', DBParameterGroups: 'DBParameterGroup',
  ReadReplicaDBInstanceIdentifiers: 'ReadReplicaDBInstanceIdentifier', StatusInfos: 'DBInstanceStatusInfo', TagList: 'Tag',
  Parameters: 'Parameter', DBSnapshots: 'DBSnapshot', DBInstanceAutomatedBackups: 'DBInstanceAutomatedBackup', Subnets: 'Subnet', DBSecurityGroups: 'DBSecurityGroup',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function toXml(name: string, value: Value | undefined): string {
  if (value === undefined) return '';
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml(MEMBER[name] ?? 'member', v)).join('')}</${name}>`;
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  return `<${name}>${esc(String(value))}</${name}>`;
}

/** State progressions of an instance after a call, each state held for `stepMs`. */
const PROGRESSIONS: Record<string, string[]> = {
  restore: ['creating', 'backing-up', 'available'],
  reboot: ['rebooting', 'available'],
  promote: ['modifying', 'backing-up', 'available'],
  delete: ['deleting', 'deleted'],
};

/**
 * A local HTTP server speaking the RDS Query protocol (form-encoded POST,
 * `Action=...&Version=2014-10-31`, XML answers shaped as the RDS API
 * reference documents them, `<ErrorResponse>` errors with their HTTP
 * status) for the calls pgdrill makes. Instances move through their states
 * (`creating` → `backing-up` → `available`) over `stepMs` each. Every call
 * is recorded in `calls`. Loopback only.
 */
export class FakeRdsServer {
  readonly calls: RecordedCall[] = [];
  readonly instances = new Map<string, FakeInstance>();
  /** Parameter group name → parameter name → value (absent: engine default, no value). */
  readonly parameterGroups = new Map<string, Record<string, string>>();
  readonly snapshots: Array<Record<string, Value>> = [];
  /** Resource ARN → tags. */
  readonly tags = new Map<string, Record<string, string>>();
  private readonly errors: ScriptedError[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server | undefined;
  url = '';

  constructor(readonly stepMs = 150) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => this.answer(body, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The AWS environment that points the real SDK at this server, with dummy credentials. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_RDS: this.url, AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      PGDRILL_RDS_WAIT_MIN_DELAY: '0.05', PGDRILL_RDS_WAIT_MAX_DELAY: '0.1',
    };
  }

  /** The next `times` calls of `action` answer with this error. */
  failNext(action: string, code: string, status: number, message: string, times = 1): void {
    this.errors.push({ action, code, status, message, times });
  }

  /** Calls of these actions (or, with no argument, every mutating call). */
  callsOf(...actions: string[]): RecordedCall[] {
    return this.calls.filter((c) => (actions.length ? actions.includes(c.action) : MUTATING_ACTIONS.has(c.action)));
  }

  arn(id: string): string {
    return `arn:aws:rds:eu-west-1:123456789012:db:${id}`;
  }

  /** Adds an instance with sensible production-like defaults, overridden by `fields`. */
  addInstance(id: string, fields: Partial<FakeInstance> = {}): FakeInstance {
    const now = Date.now();
    const instance: FakeInstance = {
      DBInstanceIdentifier: id, DBInstanceClass: 'db.t3.medium', Engine: 'postgres', EngineVersion: '15.5', DBInstanceStatus: 'available',
      MasterUsername: 'postgres', DBName: 'payments_db', Endpoint: { Address: `${id}.abc123.eu-west-1.rds.amazonaws.com`, Port: 5432 },
      AllocatedStorage: 100, InstanceCreateTime: new Date(now - 90 * 86_400_000), PreferredBackupWindow: '03:00-03:30', BackupRetentionPeriod: 30,
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0a1', Status: 'active' }], DBParameterGroups: [{ DBParameterGroupName: 'payments-pg15', ParameterApplyStatus: 'in-sync' }],
      AvailabilityZone: 'eu-west-1a', DBSubnetGroup: { DBSubnetGroupName: 'payments-subnets', VpcId: 'vpc-1', SubnetGroupStatus: 'Complete' },
      LatestRestorableTime: new Date(now - 60_000), MultiAZ: true, AutoMinorVersionUpgrade: true, ReadReplicaDBInstanceIdentifiers: [],
      PubliclyAccessible: false, StorageType: 'gp3', StorageEncrypted: true, KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k1',
      DbiResourceId: `db-${id.toUpperCase()}`, DBInstanceArn: this.arn(id), DeletionProtection: true, PerformanceInsightsEnabled: true,
      MonitoringInterval: 60,
      ...fields,
    } as FakeInstance;
    this.instances.set(id, instance);
    if (!this.parameterGroups.has('payments-pg15')) {
      this.parameterGroups.set('payments-pg15', { 'rds.force_ssl': '1', max_connections: '200', statement_timeout: '30000', idle_in_transaction_session_timeout: '60000', log_min_duration_statement: '1000' });
    }
    return instance;
  }

  addSnapshot(instanceId: string, type: 'automated' | 'manual', ageMs: number, id = `${type === 'automated' ? 'rds:' : ''}${instanceId}-${Math.round(ageMs / 1000)}`): void {
    this.snapshots.push({ DBSnapshotIdentifier: id, DBInstanceIdentifier: instanceId, SnapshotCreateTime: new Date(Date.now() - ageMs), Engine: 'postgres', Status: 'available', SnapshotType: type, Encrypted: true });
  }

  /** Called on every state change of an instance (a test makes a failover felt by a real server here). */
  onStatus: ((id: string, status: string) => void) | undefined;

  private progress(instance: FakeInstance, states: string[], then?: () => void): void {
    const [first, ...rest] = states;
    instance.DBInstanceStatus = first!;
    if (rest.length === 0) then?.();
    this.onStatus?.(instance.DBInstanceIdentifier, first!);
    if (rest.length === 0) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.progress(instance, rest, then);
    }, this.stepMs);
    this.timers.add(t);
  }

  private answer(body: string, res: http.ServerResponse): void {
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const requestId = randomUUID();
    const reply = (status: number, xml: string) => {
      this.calls.push({ action, params, status, requestId });
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    const fail = (status: number, code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender') =>
      reply(status, `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
    const ok = (result: Record<string, Value | undefined>) =>
      reply(200, `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/">${toXml(`${action}Result`, result)}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
    if (params.Version !== '2014-10-31') return fail(400, 'InvalidParameterValue', `Version ${params.Version} is not 2014-10-31`);
    const scripted = this.errors.find((e) => e.action === action && e.times > 0);
    if (scripted) {
      scripted.times -= 1;
      return fail(scripted.status, scripted.code, scripted.message, scripted.type);
    }
    const id = params.DBInstanceIdentifier;
    const find = (key: string) => {
      const found = this.instances.get(params[key] ?? '');
      if (!found || found.DBInstanceStatus === 'deleted') fail(404, 'DBInstanceNotFound', `DBInstance ${params[key]} not found.`);
      return found && found.DBInstanceStatus !== 'deleted' ? found : undefined;
    };
    switch (action) {
      case 'DescribeDBInstances': {
        if (id) {
          const i = find('DBInstanceIdentifier');
          return i && ok({ DBInstances: [i] });
        }
        return ok({ DBInstances: [...this.instances.values()].filter((i) => i.DBInstanceStatus !== 'deleted') });
      }
      case 'DescribeDBParameters': {
        const group = this.parameterGroups.get(params.DBParameterGroupName ?? '');
        if (!group) return fail(404, 'DBParameterGroupNotFound', `DBParameterGroup ${params.DBParameterGroupName} not found.`);
        // Two pages, to exercise the paginator: the Marker is the index of the next parameter.
        const all = Object.entries(group).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, Source: 'user', ApplyType: 'dynamic', DataType: 'string', IsModifiable: true }));
        const start = Number(params.Marker ?? 0);
        const page = all.slice(start, start + 3);
        return ok({ Parameters: page, ...(start + 3 < all.length ? { Marker: String(start + 3) } : {}) });
      }
      case 'DescribeDBSnapshots':
        return ok({ DBSnapshots: this.snapshots.filter((s) => !id || s.DBInstanceIdentifier === id).filter((s) => !params.SnapshotType || s.SnapshotType === params.SnapshotType) });
      case 'DescribeDBInstanceAutomatedBackups': {
        // The restore window: from the oldest retained backup (retention days back) to the latest restorable time.
        const i = find('DBInstanceIdentifier');
        if (!i) return;
        const latest = i.LatestRestorableTime as Date | undefined;
        const days = Number(i.BackupRetentionPeriod ?? 0);
        const backups = latest && days > 0 ? [{ DBInstanceIdentifier: i.DBInstanceIdentifier, DbiResourceId: i.DbiResourceId, Status: 'active', RestoreWindow: { EarliestTime: new Date(latest.getTime() - days * 86_400_000), LatestTime: latest }, BackupRetentionPeriod: days }] : [];
        return ok({ DBInstanceAutomatedBackups: backups as Value[] });
      }
      case 'ListTagsForResource': {
        const tags = this.tags.get(params.ResourceName ?? '') ?? {};
        return ok({ TagList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
      }
      case 'RestoreDBInstanceToPointInTime':
      case 'RestoreDBInstanceFromDBSnapshot': {
        const source = action === 'RestoreDBInstanceToPointInTime' ? find('SourceDBInstanceIdentifier') : this.instances.get(String(this.snapshots.find((s) => s.DBSnapshotIdentifier === params.DBSnapshotIdentifier)?.DBInstanceIdentifier));
        if (!source) return action === 'RestoreDBInstanceToPointInTime' ? undefined : fail(404, 'DBSnapshotNotFound', `DBSnapshot ${params.DBSnapshotIdentifier} not found.`);
        const target = params.TargetDBInstanceIdentifier ?? id ?? '';
        if (this.instances.has(target)) return fail(400, 'DBInstanceAlreadyExists', `DB instance already exists`);
        const restored = this.addInstance(target, {
          ...(params.Port ? {} : {}),
          DBSubnetGroup: { DBSubnetGroupName: params.DBSubnetGroupName ?? 'default', VpcId: 'vpc-1', SubnetGroupStatus: 'Complete' },
          DBParameterGroups: [{ DBParameterGroupName: params.DBParameterGroupName ?? 'default.postgres15', ParameterApplyStatus: 'in-sync' }],
          VpcSecurityGroups: Object.entries(params).filter(([k]) => k.startsWith('VpcSecurityGroupIds.')).map(([, v]) => ({ VpcSecurityGroupId: v, Status: 'active' })),
          MultiAZ: params.MultiAZ === 'true', DeletionProtection: params.DeletionProtection === 'true', LatestRestorableTime: undefined,
          Endpoint: undefined, DBInstanceStatus: 'creating',
        });
        this.progress(restored, PROGRESSIONS.restore!, () => { restored.Endpoint = this.restoredEndpoint ?? { Address: `${target}.abc123.eu-west-1.rds.amazonaws.com`, Port: 5432 }; });
        return ok({ DBInstance: restored });
      }
      case 'RebootDBInstance': {
        const i = find('DBInstanceIdentifier');
        if (!i) return;
        if (i.DBInstanceStatus !== 'available') return fail(400, 'InvalidDBInstanceState', `DB instance ${id} is not in available state.`);
        if (params.ForceFailover === 'true' && !i.MultiAZ) return fail(400, 'InvalidParameterCombination', 'Cannot force a failover on a single-AZ instance.');
        this.progress(i, PROGRESSIONS.reboot!, () => { if (params.ForceFailover === 'true') i.AvailabilityZone = i.AvailabilityZone === 'eu-west-1a' ? 'eu-west-1b' : 'eu-west-1a'; });
        return ok({ DBInstance: i });
      }
      case 'PromoteReadReplica': {
        const i = find('DBInstanceIdentifier');
        if (!i) return;
        if (!i.ReadReplicaSourceDBInstanceIdentifier) return fail(400, 'InvalidDBInstanceState', `DB instance ${id} is not a read replica.`);
        delete i.ReadReplicaSourceDBInstanceIdentifier;
        this.progress(i, PROGRESSIONS.promote!);
        return ok({ DBInstance: i });
      }
      case 'DeleteDBInstance': {
        const i = find('DBInstanceIdentifier');
        if (!i) return;
        if (i.DeletionProtection === true) return fail(400, 'InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
        this.progress(i, PROGRESSIONS.delete!);
        return ok({ DBInstance: i });
      }
      default:
        return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  /** Where restored instances say they listen once available (a test points it at a real PostgreSQL). */
  restoredEndpoint: { Address: string; Port: number } | undefined;
}
