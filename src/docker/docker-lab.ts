import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { ContainerRuntimeClient } from 'testcontainers';
import { UserError, errorMessage } from '../core/errors.ts';
import { SERVICE_DATABASES, type Endpoint, type ServiceName } from '../core/target.ts';
import type { FaultProxyServer } from '../engine/fault-proxy.ts';
import { TARGET_CAPABILITIES, type ClusterRows, type DrillLab, type PgCluster } from '../lab/cluster.ts';
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
/** The Toxiproxy container's name on the lab's network. */
export const TOXIPROXY_ALIAS = 'toxiproxy';
const PG_PORT = 5432;
const TOXIPROXY_API_PORT = 8474;
/** Ports inside the Toxiproxy container a drill's proxies listen on, each published on the host's loopback. */
export const PROXY_PORTS = [8666, 8667, 8668, 8669] as const;
const ARCHIVE_DIR = '/wal-archive';
const ARCHIVE_SCRIPT = '/usr/local/bin/pgdrill-archive-wal';

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
  postgres: { container: string; port: number; dataVolume: string; archiveVolume: string };
  toxiproxy: { container: string; apiPort: number; proxyPorts: Record<string, number> };
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
    const { GenericContainer, StartedNetwork, Wait } = await import('testcontainers');
    /** A container whose published ports bind the host's loopback only (testcontainers binds every address). */
    class LoopbackContainer extends GenericContainer {
      protected override async beforeContainerCreated(): Promise<void> {
        for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) for (const b of bindings) b.HostIp = HOST;
      }
    }
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
      postgres: { container: `pgdrill-${runId}-postgres`, port: pgPort, dataVolume: `pgdrill-${runId}-data`, archiveVolume: `pgdrill-${runId}-wal-archive` },
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
    const network = new StartedNetwork(client, state.network, created);
    await docker.createVolume({ Name: state.postgres.dataVolume, Labels: labels });
    await docker.createVolume({ Name: state.postgres.archiveVolume, Labels: labels });

    const settings: Record<string, string | number> = { ...SEED_SERVER_SETTINGS, archive_command: archiveCommand(ARCHIVE_SCRIPT, ARCHIVE_DIR) };
    const command = ['postgres', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const started = performance.now();
    await new LoopbackContainer(this.images.postgres)
      .withName(state.postgres.container)
      .withLabels(labels)
      .withNetwork(network)
      .withNetworkAliases(POSTGRES_ALIAS)
      .withEnvironment({ POSTGRES_USER: state.superuser, POSTGRES_PASSWORD: state.superuserPassword, POSTGRES_DB: 'postgres', POSTGRES_INITDB_ARGS: '--data-checksums' })
      .withExposedPorts({ container: PG_PORT, host: pgPort })
      // Named volumes (a source that is not a path): the data, and the WAL archive that outlives it.
      .withBindMounts([{ source: state.postgres.dataVolume, target: '/var/lib/postgresql/data' }, { source: state.postgres.archiveVolume, target: ARCHIVE_DIR }])
      .withCopyFilesToContainer([{ source: ARCHIVE_SCRIPT_SOURCE, target: ARCHIVE_SCRIPT, mode: 0o755 }])
      .withCommand(command)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
      .withStartupTimeout(120_000)
      .start();
    // The archive volume is root's when mounted: the server's account must write it (archive_command retries until then).
    await docker.getContainer(state.postgres.container).exec({ Cmd: ['chown', 'postgres:postgres', ARCHIVE_DIR], User: 'root' }).then((e) => e.start({})).then((stream) => new Promise((r) => { stream.on('end', r); stream.resume(); }));
    await this.waitForPostgres(60_000);
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
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        await this.query('postgres', 'SELECT 1');
        return;
      } catch (error) {
        last = errorMessage(error);
      }
      await sleep(200);
    }
    throw new UserError(`The PostgreSQL container of the Docker lab did not accept connections within ${timeoutMs / 1000} s (${last}).`, `Read its log: docker logs ${this.requireState().postgres.container}`);
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
