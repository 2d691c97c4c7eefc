import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { ContainerRuntimeClient, GenericContainer, StartedNetwork } from 'testcontainers';
import { UserError, errorMessage } from '../core/errors.ts';
import { SERVICE_DATABASES, type Endpoint, type ServiceName } from '../core/target.ts';
import type { FaultProxyServer } from '../engine/fault-proxy.ts';
import { TARGET_CAPABILITIES, type ClusterRows, type DrillLab, type PgCluster, type StandbyCluster } from '../lab/cluster.ts';
import { REPLICA_APPLICATION_NAME } from '../lab/lab.ts';
import { loadFixtures } from '../lab/fixtures.ts';
import { freePort } from '../lab/free-port.ts';
import { generatePassword } from '../lab/lab-state.ts';
import { LAB_DIR_ROLE } from '../lab/lab-dir.ts';
import { findPgBinaries, type PgBinaries } from '../lab/pg-binaries.ts';
import { SEED_SERVER_SETTINGS } from '../lab/seed-settings.ts';
import { ARCHIVER_HEALTH_SQL, ARCHIVE_SCRIPT_SOURCE, archiveCommand, archiverHealthFromRow, type ArchiverHealth } from '../lab/wal-archiver.ts';
import { isProcessAlive } from '../util/process-alive.ts';
import { queryOnce } from '../util/query-once.ts';
import { registerSecret } from '../util/redact.ts';
import { runCommand } from '../util/run-command.ts';
import { checkDirPath, ensureDir } from '../util/safe-dir.ts';
import { sleep } from '../util/sleep.ts';
import { connectDockerEngine } from './engine.ts';
import type { DockerImages } from './images.ts';
import { runLabels } from './labels.ts';
import { describeReaped, reap } from './reap.ts';

const HOST = '127.0.0.1';
/** The PostgreSQL container's name on the lab's network: the fault proxy's upstream. */
export const POSTGRES_ALIAS = 'postgres';
/** The replica container's name on the lab's network: the proxy's upstream once it is promoted. */
export const REPLICA_ALIAS = 'replica';
/** The Toxiproxy container's name on the lab's network. */
export const TOXIPROXY_ALIAS = 'toxiproxy';
const PG_PORT = 5432;
const TOXIPROXY_API_PORT = 8474;
/** Ports inside the Toxiproxy container a drill's proxies listen on, each published on the host's loopback. */
export const PROXY_PORTS = [8666, 8667, 8668, 8669] as const;
const ARCHIVE_DIR = '/wal-archive';
const ARCHIVE_SCRIPT = '/usr/local/bin/pgdrill-archive-wal';
const BACKUP_DIR = '/backups';
const PGDATA = '/var/lib/postgresql/data';

/** What a Docker lab records in `<labDir>/docker-lab.json` (mode 0600: it holds passwords). */
interface DockerLabState {
  version: 1;
  labId: string;
  runId: string;
  mode: 'persistent' | 'ephemeral';
  ownerPid: number;
  images: DockerImages;
  superuser: string;
  superuserPassword: string;
  servicePasswords: Record<string, string>;
  network: string;
  postgres: { container: string; port: number; dataVolume: string; archiveVolume: string; backupVolume: string };
  toxiproxy: { container: string; apiPort: number; proxyPorts: Record<string, number> };
  /** The streaming replica's container, when the lab has one. */
  replica?: { container: string; port: number; dataVolume: string } | null;
  fixturesLoaded: boolean;
  createdAt: string;
}

/** A snapshot of a Docker lab, as `pgdrill lab status --target docker` shows it. */
export interface DockerLabStatus {
  labDir: string;
  exists: boolean;
  mode: 'persistent' | 'ephemeral' | undefined;
  images: DockerImages | undefined;
  postgres: { container: string; running: boolean; port: number } | null;
  toxiproxy: { container: string; running: boolean; apiUrl: string } | null;
  network: string | undefined;
  archivedWalFiles: number | null;
  connections: Record<string, number>;
}

function statePath(labDir: string): string {
  return path.join(labDir, 'docker-lab.json');
}

/** The label value naming a lab directory's containers (a digest: paths do not fit labels' purposes). */
export function dockerLabId(labDir: string): string {
  return createHash('sha256').update(path.resolve(labDir)).digest('hex').slice(0, 12);
}

/**
 * The lab in containers (`--target docker`), started with testcontainers:
 * a PostgreSQL container (data checksums, WAL archived into a volume of its
 * own, the seed's settings, the four seed databases) and a Toxiproxy
 * container on a network of the lab's own; the service reaches PostgreSQL
 * only through the Toxiproxy container's proxy, whose upstream is the
 * PostgreSQL container's network alias. Every port is published on the
 * host's 127.0.0.1 only. Every container, network and volume carries the
 * labels of `labels.ts`; `up` first removes the leftovers of killed runs.
 * `persistent` (`lab up --target docker`) outlives the process until `lab
 * down`; `ephemeral` (a drill) is removed by `releaseEphemeral`.
 */
export class DockerLab implements PgCluster, DrillLab {
  readonly kind = 'docker' as const;
  readonly target = 'docker' as const;
  readonly isLab = true;
  readonly capabilities = TARGET_CAPABILITIES.docker;
  readonly labDir: string;
  readonly proxyUpstream: Endpoint = { host: POSTGRES_ALIAS, port: PG_PORT };
  private readonly log: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  private readonly images: DockerImages;
  private state: DockerLabState | undefined;
  private client: ContainerRuntimeClient | undefined;
  private network: StartedNetwork | undefined;
  private binaries: PgBinaries | undefined;

  constructor(options: { labDir: string; images: DockerImages; log?: (line: string) => void; env?: NodeJS.ProcessEnv }) {
    this.labDir = checkDirPath(options.labDir, LAB_DIR_ROLE, { writable: false });
    this.images = options.images;
    this.log = options.log ?? (() => {});
    this.env = options.env ?? process.env;
    this.state = this.readState();
  }

  get cluster(): PgCluster {
    return this;
  }

  get name(): string {
    return `docker:${path.basename(this.labDir)}`;
  }

  get endpoint(): Endpoint {
    return { host: HOST, port: this.requireState().postgres.port };
  }

  /** Client programs of this machine (psql loads the fixtures); any supported major version talks to the container's server. */
  pg(): PgBinaries {
    this.binaries ??= findPgBinaries(this.env);
    return this.binaries;
  }

  adminUrl(database: string, via?: Endpoint): string {
    const s = this.requireState();
    const at = via ?? this.endpoint;
    return `postgres://${s.superuser}:${encodeURIComponent(s.superuserPassword)}@${at.host}:${at.port}/${database}`;
  }

  serviceUrl(service: ServiceName, via?: Endpoint): string {
    const s = this.requireState();
    const { database, role } = SERVICE_DATABASES[service];
    const at = via ?? this.endpoint;
    return `postgres://${role}:${encodeURIComponent(s.servicePasswords[role] ?? '')}@${at.host}:${at.port}/${database}`;
  }

  rolePasswords(): Record<string, string> {
    return { ...this.requireState().servicePasswords };
  }

  clientEnv(): NodeJS.ProcessEnv {
    const s = this.requireState();
    return { ...this.env, PGHOST: HOST, PGPORT: String(s.postgres.port), PGUSER: s.superuser, PGPASSWORD: s.superuserPassword, PGDATABASE: 'postgres', PGCONNECT_TIMEOUT: '5' };
  }

  async query(database: string, sql: string, params?: unknown[]): Promise<ClusterRows> {
    return queryOnce({ connectionString: this.adminUrl(database), connectionTimeoutMillis: 5000 }, sql, params);
  }

  async psql(database: string, script: string): Promise<string> {
    const out = await runCommand(this.pg().bin('psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-d', database], { env: this.clientEnv(), input: script, timeoutMs: 60_000 });
    return out.stdout;
  }

  async archiverHealth(): Promise<ArchiverHealth> {
    const [row] = await this.query('postgres', ARCHIVER_HEALTH_SQL);
    return archiverHealthFromRow(row ?? {}, `docker logs ${this.requireState().postgres.container}`);
  }

  /** True when the PostgreSQL container runs. */
  async isRunning(): Promise<boolean> {
    if (!this.state) return false;
    return this.containerRunning(this.state.postgres.container);
  }

  /** Starts the PostgreSQL container again (its data volume kept; the same loopback port) and waits until it accepts connections. */
  async start(): Promise<void> {
    const s = this.requireState();
    if (await this.isRunning()) return;
    this.log(`Starting the PostgreSQL container ${s.postgres.container}.`);
    await (await this.engine()).container.dockerode.getContainer(s.postgres.container).start();
    await this.waitForPostgres(60_000);
  }

  /** Stops the PostgreSQL container (SIGINT: fast shutdown). */
  async stop(): Promise<void> {
    const s = this.requireState();
    if (!(await this.isRunning())) return;
    await (await this.engine()).container.dockerode.getContainer(s.postgres.container).stop({ t: 30 });
  }

  /** Kills the PostgreSQL container (SIGKILL to its postmaster, PID 1): no shutdown checkpoint. */
  async kill(): Promise<string> {
    const s = this.requireState();
    const container = (await this.engine()).container.dockerode.getContainer(s.postgres.container);
    await container.kill({ signal: 'SIGKILL' });
    await container.wait({ condition: 'not-running' }).catch(() => {});
    return `container ${s.postgres.container} killed (SIGKILL to its postmaster)`;
  }

  /** The replica container as a StandbyCluster, or null when the lab has none. */
  get replicaCluster(): StandbyCluster | null {
    const r = this.state?.replica;
    if (!r) return null;
    const endpoint = { host: HOST, port: r.port };
    return {
      endpoint,
      proxyUpstream: { host: REPLICA_ALIAS, port: PG_PORT },
      adminUrl: (database) => this.adminUrl(database, endpoint),
      query: (database, sql, params) => queryOnce({ connectionString: this.adminUrl(database, endpoint), connectionTimeoutMillis: 5000 }, sql, params),
    };
  }

  /**
   * Adds a replica container when the lab has none: the same image, a data
   * volume of its own filled by `pg_basebackup -R` from the primary over the
   * lab's network (replication allowed in the primary's pg_hba.conf first),
   * streaming as `pgdrill_replica`, the lab's settings, the WAL archive
   * volume shared (a promoted replica archives its own timeline there).
   * With `synchronous`, the primary waits for it at every commit.
   */
  async ensureReplica(options: { synchronous: boolean }): Promise<StandbyCluster> {
    const s = this.requireState();
    const client = await this.engine();
    if (!s.replica || !(await this.containerRunning(s.replica.container))) {
      const docker = client.container.dockerode;
      await this.allowReplication();
      const replica = { container: `pgdrill-${s.runId}-replica`, port: await freePort(HOST), dataVolume: `pgdrill-${s.runId}-replica-data` };
      s.replica = replica;
      this.writeState();
      await docker.createVolume({ Name: replica.dataVolume, Labels: runLabels(s.labId, s.runId, s.mode) });
      const copy = [
        'set -e',
        'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
        '  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"',
        `  setpriv --reuid=postgres --regid=postgres --init-groups -- pg_basebackup -d "host=${POSTGRES_ALIAS} user=${s.superuser} application_name=${REPLICA_APPLICATION_NAME}" -D "$PGDATA" -X stream -c fast -R --no-sync -l "pgdrill replica"`,
        'fi',
        `exec ${await this.imageEntrypoint()} "$@"`,
      ].join('\n');
      this.log(`Creating a streaming replica container ${replica.container} (pg_basebackup of the primary over the lab's network).`);
      await this.startPostgresContainer({ name: replica.container, alias: REPLICA_ALIAS, port: replica.port, dataVolume: replica.dataVolume, entrypoint: ['/bin/sh', '-c', copy, 'pgdrill-replica'], env: { PGPASSWORD: s.superuserPassword } });
      const standby = this.replicaCluster!;
      await this.pollUntil(async () => (await standby.query('postgres', 'SELECT pg_is_in_recovery() AS r'))[0]?.r === true, 60_000, 'the replica container accepts connections as a standby');
    }
    await this.query('postgres', `ALTER SYSTEM SET synchronous_standby_names = ${options.synchronous ? `'${REPLICA_APPLICATION_NAME}'` : "''"}`);
    await this.query('postgres', 'SELECT pg_reload_conf()');
    const want = options.synchronous ? 'sync' : 'async';
    await this.pollUntil(async () => (await this.query('postgres', 'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1', [REPLICA_APPLICATION_NAME]))[0]?.sync_state === want, 30_000, `the primary sees the replica streaming (${want})`);
    return this.replicaCluster!;
  }

  /**
   * After a failover drill (DrillLab): a promoted replica becomes the lab's
   * primary (the dead primary's container and data volume removed, the
   * replica's volume started in a new container under the primary's name,
   * alias and loopback port, so every URL stays valid); else the old
   * primary's container starts again (crash recovery). No commit waits for a
   * replica afterwards.
   */
  async restoreTopology(log: (line: string) => void): Promise<void> {
    const s = this.requireState();
    const r = s.replica;
    if (await this.isRunning()) {
      await this.query('postgres', "ALTER SYSTEM SET synchronous_standby_names = ''");
      await this.query('postgres', 'SELECT pg_reload_conf()');
      return;
    }
    const promoted = r && (await this.containerRunning(r.container)) && (await this.replicaCluster!.query('postgres', 'SELECT pg_is_in_recovery() AS r').then(([row]) => row?.r === false, () => false));
    if (!promoted || !r) {
      log('The replica was not promoted: starting the old primary container again (crash recovery).');
      await this.start();
      return;
    }
    log(`The promoted replica becomes the Docker lab's primary (the dead primary's container ${s.postgres.container} and its volume are removed).`);
    const docker = (await this.engine()).container.dockerode;
    await docker.getContainer(s.postgres.container).remove({ force: true, v: true });
    await docker.getVolume(s.postgres.dataVolume).remove().catch(() => {});
    await docker.getContainer(r.container).stop({ t: 30 }).catch(() => {});
    await docker.getContainer(r.container).remove({ force: true });
    s.postgres.dataVolume = r.dataVolume;
    s.replica = null;
    this.writeState();
    await this.startPostgresContainer({ name: s.postgres.container, alias: POSTGRES_ALIAS, port: s.postgres.port, dataVolume: s.postgres.dataVolume });
    await this.query('postgres', "ALTER SYSTEM SET synchronous_standby_names = ''");
    await this.query('postgres', 'SELECT pg_reload_conf()');
  }

  /** The fault proxy: the lab's Toxiproxy container, through its API published on loopback. Closing it leaves the container to the lab. */
  async faultProxy(): Promise<FaultProxyServer> {
    const url = `http://${HOST}:${this.requireState().toxiproxy.apiPort}`;
    return { kind: 'container', url, client: new Toxiproxy(url), close: async () => {} };
  }

  /** A proxy port of the Toxiproxy container no proxy uses yet, with the loopback port it is published on. */
  async freeProxyPort(client: Toxiproxy): Promise<{ bind: string; listen: Endpoint }> {
    const used = new Set(Object.values(await client.getAll()).map((p) => Number(p.listen.split(':').pop())));
    const s = this.requireState();
    const port = PROXY_PORTS.find((p) => !used.has(p));
    if (port === undefined) throw new UserError(`Every proxy port of the Toxiproxy container ${s.toxiproxy.container} is in use (${PROXY_PORTS.join(', ')}).`, 'Wait for the other drills on this Docker lab to finish, or run this one with its own --lab-dir.');
    return { bind: `0.0.0.0:${port}`, listen: { host: HOST, port: s.toxiproxy.proxyPorts[String(port)]! } };
  }

  /**
   * Brings the lab up: removes the leftovers of killed runs, reuses a
   * running lab of this directory (a persistent one stays persistent),
   * otherwise creates network, volumes and both containers and loads the
   * fixtures. Returns whether this call created the containers.
   */
  async up(mode: 'persistent' | 'ephemeral' = 'persistent'): Promise<{ started: boolean }> {
    const client = await this.engine();
    const leftovers = await reap(client, 'leftovers');
    if (leftovers.containers.length + leftovers.networks.length + leftovers.volumes.length > 0) this.log(`Removed the leftovers of killed pgdrill runs: ${describeReaped(leftovers)}.`);
    const s = this.state;
    if (s && (await this.containerRunning(s.postgres.container)) && (await this.containerRunning(s.toxiproxy.container))) {
      if (s.mode === 'ephemeral' && s.ownerPid !== process.pid && isProcessAlive(s.ownerPid)) {
        throw new UserError(`Another pgdrill process (pid ${s.ownerPid}) is running a drill on the Docker lab of ${this.labDir}.`, 'Wait for it to finish, or give this run its own lab with --lab-dir.');
      }
      if (mode === 'persistent' && s.mode !== 'persistent') {
        throw new UserError(`The Docker lab of ${this.labDir} belongs to a drill (it is removed when the drill ends).`, 'Wait for the drill to finish, then run `pgdrill lab up --target docker` again.');
      }
      await this.waitForPostgres(30_000);
      return { started: false };
    }
    if (s) {
      // Containers of this lab that no longer run (an engine restart, a manual stop): start again from scratch.
      this.log('The Docker lab recorded here is not running: removing what is left of it.');
      await reap(client, { lab: s.labId });
      this.clearState();
    }
    await this.create(client, mode);
    return { started: true };
  }

  /** Removes every container, network and volume of this lab (any run) and its state file. Returns whether anything was removed. */
  async down(): Promise<{ stopped: boolean }> {
    const client = await this.engine();
    const reaped = await reap(client, { lab: dockerLabId(this.labDir) });
    if (reaped.containers.length > 0) this.log(`Removed ${describeReaped(reaped)}.`);
    this.clearState();
    return { stopped: reaped.containers.length > 0 };
  }

  /** Removes the lab if this process created it for a drill (ephemeral); a persistent lab stays. */
  async releaseEphemeral(): Promise<boolean> {
    const s = this.readState();
    if (s?.mode === 'ephemeral' && s.ownerPid === process.pid) {
      await this.down();
      return true;
    }
    return false;
  }

  /** What `lab status --target docker` shows. Never starts anything. */
  async status(): Promise<DockerLabStatus> {
    const s = this.state;
    if (!s) return { labDir: this.labDir, exists: false, mode: undefined, images: undefined, postgres: null, toxiproxy: null, network: undefined, archivedWalFiles: null, connections: {} };
    const pgRunning = await this.containerRunning(s.postgres.container);
    const connections: Record<string, number> = {};
    let archivedWalFiles: number | null = null;
    if (pgRunning) {
      const rows = await this.query('postgres', 'SELECT coalesce(state, backend_type) AS state, count(*)::int AS n FROM pg_stat_activity GROUP BY 1 ORDER BY 1');
      for (const row of rows) if (typeof row.state === 'string' && row.state) connections[row.state] = Number(row.n);
      archivedWalFiles = Number((await this.archiverHealth()).archivedCount);
    }
    return {
      labDir: this.labDir,
      exists: true,
      mode: s.mode,
      images: s.images,
      postgres: { container: s.postgres.container, running: pgRunning, port: s.postgres.port },
      toxiproxy: { container: s.toxiproxy.container, running: await this.containerRunning(s.toxiproxy.container), apiUrl: `http://${HOST}:${s.toxiproxy.apiPort}` },
      network: s.network,
      archivedWalFiles,
      connections,
    };
  }

  private async create(client: ContainerRuntimeClient, mode: 'persistent' | 'ephemeral'): Promise<void> {
    const { StartedNetwork, Wait } = await import('testcontainers');
    const LoopbackContainer = await loopbackContainerClass();
    ensureDir(this.labDir, LAB_DIR_ROLE);
    const labId = dockerLabId(this.labDir);
    const runId = `${labId}-${randomBytes(4).toString('hex')}`;
    const labels = runLabels(labId, runId, mode);
    const pgPort = await freePort(HOST);
    const apiPort = await freePort(HOST);
    const proxyPorts: Record<string, number> = {};
    for (const p of PROXY_PORTS) proxyPorts[String(p)] = await freePort(HOST);
    const state: DockerLabState = {
      version: 1,
      labId,
      runId,
      mode,
      ownerPid: process.pid,
      images: this.images,
      superuser: 'pgdrill',
      superuserPassword: generatePassword(),
      servicePasswords: Object.fromEntries(Object.values(SERVICE_DATABASES).map((d) => [d.role, generatePassword()])),
      network: `pgdrill-${runId}`,
      postgres: { container: `pgdrill-${runId}-postgres`, port: pgPort, dataVolume: `pgdrill-${runId}-data`, archiveVolume: `pgdrill-${runId}-wal-archive`, backupVolume: `pgdrill-${runId}-backups` },
      toxiproxy: { container: `pgdrill-${runId}-toxiproxy`, apiPort, proxyPorts },
      fixturesLoaded: false,
      createdAt: new Date().toISOString(),
    };
    // Recorded before anything exists: an interrupted creation is removed by label later.
    this.state = state;
    this.registerSecrets(state);
    this.writeState();
    const docker = client.container.dockerode;
    this.log(`Creating the Docker lab: network ${state.network}, ${this.images.postgres} and ${this.images.toxiproxy}.`);
    await this.requireImage(client, this.images.postgres, 'PostgreSQL', '--postgres-image');
    await this.requireImage(client, this.images.toxiproxy, 'Toxiproxy', '--toxiproxy-image');
    const created = await client.network.create({ Name: state.network, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    this.network = new StartedNetwork(client, state.network, created);
    const network = this.network;
    await docker.createVolume({ Name: state.postgres.dataVolume, Labels: labels });
    await docker.createVolume({ Name: state.postgres.archiveVolume, Labels: labels });
    await docker.createVolume({ Name: state.postgres.backupVolume, Labels: labels });

    const started = performance.now();
    await this.startPostgresContainer({ name: state.postgres.container, alias: POSTGRES_ALIAS, port: pgPort, dataVolume: state.postgres.dataVolume, env: { POSTGRES_USER: state.superuser, POSTGRES_PASSWORD: state.superuserPassword, POSTGRES_DB: 'postgres', POSTGRES_INITDB_ARGS: '--data-checksums' } });
    this.log(`PostgreSQL container ${state.postgres.container} accepts connections on ${HOST}:${pgPort} (${Math.round(performance.now() - started)} ms).`);
    await new LoopbackContainer(this.images.toxiproxy)
      .withName(state.toxiproxy.container)
      .withLabels(labels)
      .withNetwork(network)
      .withNetworkAliases(TOXIPROXY_ALIAS)
      .withExposedPorts({ container: TOXIPROXY_API_PORT, host: apiPort }, ...PROXY_PORTS.map((p) => ({ container: p, host: proxyPorts[String(p)]! })))
      .withWaitStrategy(Wait.forHttp('/version', TOXIPROXY_API_PORT))
      .withStartupTimeout(60_000)
      .start();
    this.log(`Toxiproxy container ${state.toxiproxy.container}: API on http://${HOST}:${apiPort}.`);
    this.log('Loading the four seed databases from fixtures/.');
    await loadFixtures(this);
    state.fixturesLoaded = true;
    this.writeState();
  }

  /**
   * Starts a PostgreSQL container of this lab on its network under `alias`,
   * `dataVolume` as its data directory, the archive volume (owned by the
   * server's account), the seed's settings, `port` published on loopback;
   * returns once it accepts connections.
   */
  private async startPostgresContainer(c: { name: string; alias: string; port: number; dataVolume: string; env?: Record<string, string>; entrypoint?: string[] }): Promise<void> {
    const s = this.requireState();
    const client = await this.engine();
    const { StartedNetwork, Wait } = await import('testcontainers');
    const LoopbackContainer = await loopbackContainerClass();
    this.network ??= new StartedNetwork(client, s.network, client.network.getById(s.network));
    const settings: Record<string, string | number> = { ...SEED_SERVER_SETTINGS, archive_command: archiveCommand(ARCHIVE_SCRIPT, ARCHIVE_DIR) };
    const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    const container = new LoopbackContainer(s.images.postgres)
      .withName(c.name)
      .withLabels(runLabels(s.labId, s.runId, s.mode))
      .withNetwork(this.network)
      .withNetworkAliases(c.alias)
      .withEnvironment({ POSTGRES_PASSWORD: s.superuserPassword, ...c.env })
      .withExposedPorts({ container: PG_PORT, host: c.port })
      // Named volumes (a source that is not a path): the data, and the WAL archive that outlives it.
      .withBindMounts([{ source: c.dataVolume, target: PGDATA }, { source: s.postgres.archiveVolume, target: ARCHIVE_DIR }, { source: s.postgres.backupVolume, target: BACKUP_DIR }])
      .withCopyFilesToContainer([{ source: ARCHIVE_SCRIPT_SOURCE, target: ARCHIVE_SCRIPT, mode: 0o755 }])
      .withCommand(c.entrypoint ? args : ['postgres', ...args])
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept (read-only )?connections/))
      .withStartupTimeout(c.entrypoint ? 15_000 : 120_000);
    if (c.entrypoint) container.withEntrypoint(c.entrypoint);
    await container.start();
    // The archive volume is root's when first mounted: the server's account must write it (archive_command retries until then).
    await this.exec(c.name, ['chown', 'postgres:postgres', ARCHIVE_DIR, BACKUP_DIR], 'root');
    await this.pollUntil(async () => (await queryOnce({ connectionString: this.adminUrl('postgres', { host: HOST, port: c.port }), connectionTimeoutMillis: 5000 }, 'SELECT 1')).length === 1, 60_000, `the PostgreSQL container ${c.name} accepts connections`);
  }

  /** Runs a command in a container (as `user`) and waits for it to end; a non-zero exit is an error. */
  private async exec(container: string, cmd: string[], user: string, env: Record<string, string> = {}): Promise<string> {
    const docker = (await this.engine()).container.dockerode;
    const exec = await docker.getContainer(container).exec({ Cmd: cmd, User: user, AttachStdout: true, AttachStderr: true, Env: Object.entries(env).map(([k, v]) => `${k}=${v}`) });
    const stream = await exec.start({});
    let output = '';
    await new Promise((resolve) => {
      stream.on('data', (d: Buffer) => { output = (output + d.toString('utf8')).slice(-4000); });
      stream.on('end', resolve);
    });
    const { ExitCode } = await exec.inspect();
    if (ExitCode !== 0) throw new Error(`\`${cmd[0]}\` in ${container} exited with code ${ExitCode}: ${output.replace(/[\x00-\x08]/g, '').trim().split('\n').slice(-3).join(' ')}`);
    return output;
  }

  /** Replication connections allowed over the lab's network (the official image allows them from loopback only). */
  private async allowReplication(): Promise<void> {
    await this.exec(this.requireState().postgres.container, ['sh', '-c', 'grep -q "^host replication all all" "$PGDATA/pg_hba.conf" || echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"'], 'postgres');
    await this.query('postgres', 'SELECT pg_reload_conf()');
  }

  /** The image's own entrypoint, to run after a script of ours prepared the data directory. */
  private async imageEntrypoint(): Promise<string> {
    const docker = (await this.engine()).container.dockerode;
    const entrypoint = ((await docker.getImage(this.requireState().images.postgres).inspect()).Config.Entrypoint as string[] | null) ?? [];
    return [...entrypoint, 'postgres'].map((a) => `'${a}'`).join(' ');
  }

  /** The nightly base backup (DrillLab): pg_basebackup inside the primary's container into the backups volume, which outlives the data volume. */
  async takeBaseBackup(log: (line: string) => void): Promise<string> {
    const s = this.requireState();
    await this.allowReplication();
    log('backup: pg_basebackup of the primary into the backups volume');
    const started = performance.now();
    await this.exec(s.postgres.container, ['sh', '-c', `rm -rf ${BACKUP_DIR}/base.new && pg_basebackup -h 127.0.0.1 -U ${s.superuser} -D ${BACKUP_DIR}/base.new -X fetch -c fast --no-sync -l "pgdrill base backup" && rm -rf ${BACKUP_DIR}/base && mv ${BACKUP_DIR}/base.new ${BACKUP_DIR}/base`], 'postgres', { PGPASSWORD: s.superuserPassword });
    const [row] = await this.query('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS wal');
    return `base backup taken into volume ${s.postgres.backupVolume} in ${Math.round(performance.now() - started)} ms (WAL now at ${String(row?.wal)})`;
  }

  /** The whole database lost (DrillLab): the container killed (SIGKILL) and removed with its data volume; the archive and backups volumes stay. */
  async loseDatabase(): Promise<string> {
    const s = this.requireState();
    const killed = await this.kill();
    const docker = (await this.engine()).container.dockerode;
    await docker.getContainer(s.postgres.container).remove({ force: true });
    await docker.getVolume(s.postgres.dataVolume).remove();
    return `${killed}; the container and its data volume ${s.postgres.dataVolume} removed`;
  }

  /** Whether the primary's data volume still exists (DrillLab). */
  async dataPresent(): Promise<boolean> {
    try {
      await (await this.engine()).container.dockerode.getVolume(this.requireState().postgres.dataVolume).inspect();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The newest base backup restored (DrillLab): a new data volume filled from
   * the backups volume with `recovery.signal` and a restore_command reading
   * the archive volume, started as the lab's primary under its name, alias
   * and port; returns once recovery has ended on a new timeline.
   */
  async restoreLatestBackup(log: (line: string) => void): Promise<string> {
    const s = this.requireState();
    const docker = (await this.engine()).container.dockerode;
    await docker.getContainer(s.postgres.container).remove({ force: true, v: true }).catch(() => {});
    const volume = `pgdrill-${s.runId}-data-${randomBytes(3).toString('hex')}`;
    await docker.createVolume({ Name: volume, Labels: runLabels(s.labId, s.runId, s.mode) });
    s.postgres.dataVolume = volume;
    this.writeState();
    const script = [
      'set -e',
      'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
      `  test -s ${BACKUP_DIR}/base/PG_VERSION || { echo "no base backup in ${BACKUP_DIR}/base" >&2; exit 1; }`,
      `  cp -a ${BACKUP_DIR}/base/. "$PGDATA/" && rm -f "$PGDATA/postmaster.pid"`,
      '  chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"',
      '  touch "$PGDATA/recovery.signal"',
      `  echo "restore_command = 'cp ${ARCHIVE_DIR}/%f %p'" >> "$PGDATA/postgresql.auto.conf"`,
      'fi',
      `exec ${await this.imageEntrypoint()} "$@"`,
    ].join('\n');
    log(`Restoring the base backup of volume ${s.postgres.backupVolume} into ${volume} and replaying the archive (${s.postgres.archiveVolume}).`);
    const started = performance.now();
    await this.startPostgresContainer({ name: s.postgres.container, alias: POSTGRES_ALIAS, port: s.postgres.port, dataVolume: volume, entrypoint: ['/bin/sh', '-c', script, 'pgdrill-restore'] });
    await this.pollUntil(async () => (await this.query('postgres', 'SELECT pg_is_in_recovery() AS r'))[0]?.r === false, 10 * 60_000, 'the restored cluster to finish recovery');
    const [row] = await this.query('postgres', 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli, pg_current_wal_lsn()::text AS lsn');
    return `recovered to ${String(row?.lsn)} on timeline ${parseInt(String(row?.tli), 16)}, in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  }

  /** Polls `check` (errors count as not yet) until it holds, or throws a UserError naming `what` after `timeoutMs`. */
  private async pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
        last = 'not yet';
      } catch (error) {
        last = errorMessage(error);
      }
      await sleep(200);
    }
    throw new UserError(`Waited ${timeoutMs / 1000} s for ${what}, in vain (${last}).`, `Read the container logs: docker logs ${this.requireState().postgres.container}`);
  }

  private async requireImage(client: ContainerRuntimeClient, image: string, what: string, flag: string): Promise<void> {
    try {
      await client.container.dockerode.getImage(image).inspect();
      return;
    } catch {
      // not here: pulled below
    }
    this.log(`Pulling ${image}.`);
    try {
      await client.image.pull((await import('testcontainers')).ImageName.fromString(image));
    } catch (error) {
      throw new UserError(
        `The ${what} image ${image} is not on this machine and could not be pulled: ${errorMessage(error).split('\n')[0]}.`,
        `Pull it where a registry is reachable, or build the local one (docker/${what === 'PostgreSQL' ? 'postgres' : 'toxiproxy'}/build.sh) and pass it with ${flag}.`,
      );
    }
  }

  private async waitForPostgres(timeoutMs: number): Promise<void> {
    await this.pollUntil(async () => (await this.query('postgres', 'SELECT 1')).length === 1, timeoutMs, 'the PostgreSQL container of the Docker lab to accept connections');
  }

  private async containerRunning(name: string): Promise<boolean> {
    try {
      const info = await (await this.engine()).container.dockerode.getContainer(name).inspect();
      return info.State.Running === true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  private async engine(): Promise<ContainerRuntimeClient> {
    this.client ??= await connectDockerEngine(this.env);
    return this.client;
  }

  private requireState(): DockerLabState {
    if (!this.state) throw new UserError(`There is no Docker lab in ${this.labDir}.`, 'Run `pgdrill lab up --target docker` first.');
    return this.state;
  }

  private readState(): DockerLabState | undefined {
    try {
      const state = JSON.parse(readFileSync(statePath(this.labDir), 'utf8')) as DockerLabState;
      if (state.version !== 1) return undefined;
      this.registerSecrets(state);
      return state;
    } catch {
      return undefined;
    }
  }

  private writeState(): void {
    const file = statePath(this.labDir);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  private clearState(): void {
    rmSync(statePath(this.labDir), { force: true });
    this.state = undefined;
  }

  private registerSecrets(state: DockerLabState): void {
    registerSecret(state.superuserPassword);
    for (const p of Object.values(state.servicePasswords)) registerSecret(p);
  }
}

/** A testcontainers container class whose published ports bind the host's loopback only (testcontainers binds every address). */
async function loopbackContainerClass(): Promise<typeof GenericContainer> {
  const { GenericContainer } = await import('testcontainers');
  return class LoopbackContainer extends GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) for (const b of bindings) b.HostIp = HOST;
    }
  };
}
