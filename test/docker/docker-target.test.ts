import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerLab, dockerLabId } from '../../src/docker/docker-lab.ts';
import { connectDockerEngine } from '../../src/docker/engine.ts';
import { LABEL_LAB } from '../../src/docker/labels.ts';
import { runDrill, type DrillOptions } from '../../src/engine/drill.ts';
import { loadScenario } from '../../src/engine/catalog.ts';
import { isProcessAlive } from '../../src/util/process-alive.ts';
import { repoRoot, runCli, startCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

/**
 * The Docker target for real: a PostgreSQL container and a Toxiproxy
 * container started with testcontainers, the service reaching PostgreSQL
 * only through the Toxiproxy container. One lab for the whole file (CI time
 * is tight), several scenarios drilled on it. Where no container engine
 * can start, the file is skipped and its title says why; the images are the
 * local ones (`docker/*\/build.sh`, built here when missing) unless
 * PGDRILL_POSTGRES_IMAGE / PGDRILL_TOXIPROXY_IMAGE name others.
 */
const images = {
  postgres: process.env.PGDRILL_POSTGRES_IMAGE ?? 'pgdrill-local/postgres:15',
  toxiproxy: process.env.PGDRILL_TOXIPROXY_IMAGE ?? 'pgdrill-local/toxiproxy:2.12',
};
const noEngine = await connectDockerEngine().then(
  () => undefined,
  (error: Error) => error.message,
);
if (noEngine) console.warn(`test/docker: SKIPPED, no container engine: ${noEngine}`);

/** Names of this machine's containers, networks and volumes carrying the label of `labDir`'s lab. */
function resourcesOf(labDir: string): string[] {
  const filter = `label=${LABEL_LAB}=${dockerLabId(labDir)}`;
  const list = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...list(['ps', '-a', '--filter', filter, '--format', 'container {{.Names}}']), ...list(['network', 'ls', '--filter', filter, '--format', 'network {{.Name}}']), ...list(['volume', 'ls', '--filter', filter, '--format', 'volume {{.Name}}'])];
}

describe.skipIf(noEngine !== undefined)(`the Docker target (containers, real Toxiproxy API)${noEngine ? ` — SKIPPED: no container engine (${noEngine})` : ''}`, () => {
  let labDir: string;
  let lab: DockerLab;
  const labDirs: string[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    for (const [image, script] of [[images.postgres, 'docker/postgres/build.sh'], [images.toxiproxy, 'docker/toxiproxy/build.sh']] as const) {
      if (image.startsWith('pgdrill-local/')) execFileSync('bash', [path.join(repoRoot, script), image], { stdio: 'ignore', timeout: 600_000 });
    }
    labDir = path.join(tempDir('docker'), 'lab');
    labDirs.push(labDir);
    lab = new DockerLab({ labDir, images, log: (l) => logs.push(l) });
    await lab.up('persistent');
  }, 600_000);

  afterAll(async () => {
    await lab?.down();
    for (const dir of labDirs) expect(resourcesOf(dir), `resources of ${dir} left behind`).toEqual([]);
  });

  const drill = async (id: string, extra: DrillOptions = {}) => {
    const lines: string[] = [];
    const record = await runDrill(await loadScenario(id), { target: 'docker', dockerImages: images, labDir, holdMs: 500, observeMs: 2500, log: (l) => lines.push(l), ...extra });
    return { result: record.result, lines };
  };

  it('runs PostgreSQL with data checksums and WAL archiving into a volume, every port on 127.0.0.1 only, every resource labelled', async () => {
    const [row] = await lab.query('postgres', "SELECT current_setting('data_checksums') AS checksums, current_setting('archive_mode') AS archive, (SELECT count(*) FROM pg_database WHERE datname IN ('auth_db', 'payments_db', 'admin_db', 'profile_db'))::int AS seeds");
    expect(row).toEqual({ checksums: 'on', archive: 'on', seeds: 4 });
    await lab.query('postgres', 'SELECT pg_switch_wal()');
    await expect.poll(async () => (await lab.archiverHealth()).archivedCount, { timeout: 15_000 }).toBeGreaterThan(0);
    expect((await lab.archiverHealth()).failing).toBe(false);
    const resources = resourcesOf(labDir);
    expect(resources.filter((r) => r.startsWith('container'))).toHaveLength(2);
    expect(resources.filter((r) => r.startsWith('network'))).toHaveLength(1);
    // The data, the WAL archive and the base backups.
    expect(resources.filter((r) => r.startsWith('volume'))).toHaveLength(3);
    const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=${LABEL_LAB}=${dockerLabId(labDir)}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const bindings = execFileSync('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', ...ids], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, Array<{ HostIp: string }>>);
    const hostIps = bindings.flatMap((b) => Object.values(b).flat().map((x) => x.HostIp));
    expect(hostIps.length).toBeGreaterThanOrEqual(6);
    expect(new Set(hostIps)).toEqual(new Set(['127.0.0.1']));
  });

  it('connection-loss (proxy down, then reset_peer) passes through the Toxiproxy container', async () => {
    for (const variant of [undefined, 'reset-peer']) {
      // Held long enough that the service's retries (100, 200, 400 ms) cannot hide the outage.
      const { result, lines } = await drill('connection-loss', { holdMs: 2000, ...(variant ? { variant } : {}) });
      expect(result.reasons, variant ?? 'proxy-down').toEqual([]);
      expect(result.status).toBe('passed');
      // The fault cut the service off: requests failed, and the service answered again.
      expect(result.failedRequests).toBeGreaterThan(0);
      expect(result.rtoMs).not.toBeNull();
      expect(result.lostWrites).toBe(0);
      expect(lines.join('\n')).toMatch(/Fault proxy: the Docker lab's Toxiproxy container at http:\/\/127\.0\.0\.1:\d+/);
    }
  }, 120_000);

  it('slow-query, connection-exhaustion and service-crash pass on the same lab', async () => {
    for (const id of ['slow-query', 'connection-exhaustion', 'service-crash']) {
      const { result } = await drill(id);
      expect(result.reasons, id).toEqual([]);
      expect(result.status, id).toBe('passed');
      expect(result.lostWrites, id).toBe(0);
    }
    // The lab was reused, never recreated: still the one `lab up` made.
    expect(logs.filter((l) => l.startsWith('Creating the Docker lab'))).toHaveLength(1);
  }, 150_000);

  it('primary-failover: the primary container killed, a replica container promoted, the service repointed; the lab whole afterwards', async () => {
    const { result, lines } = await drill('primary-failover');
    expect(result.reasons).toEqual([]);
    expect(result.status).toBe('passed');
    expect(result.fault.evidence).toMatch(/primary container \S+-postgres killed \(SIGKILL to its postmaster\); replica on 127\.0\.0\.1:\d+ had replayed up to/);
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(lines.join('\n')).toMatch(/The promoted replica becomes the Docker lab's primary/);
    // The promoted replica serves under the primary's name and port, on a new timeline, with the writes it had.
    const [row] = await lab.query('postgres', "SELECT pg_is_in_recovery() AS standby, substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli");
    expect(row).toEqual({ standby: false, tli: '00000002' });
    expect(resourcesOf(labDir).filter((r) => r.startsWith('container'))).toHaveLength(2);
  }, 120_000);

  it('database-lost: the container killed and its data volume removed, restored from the base backup and the WAL archive', async () => {
    const { result, lines } = await drill('database-lost');
    expect(result.reasons).toEqual([]);
    expect(result.status).toBe('passed');
    expect(result.fault.evidence).toMatch(/container \S+-postgres killed \(SIGKILL to its postmaster\); the container and its data volume \S+-data\S* removed/);
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(lines.join('\n')).toMatch(/base backup taken into volume \S+-backups/);
    // What the archive did not hold is lost, and the ledger says how much: never more than was acknowledged.
    expect(result.lostWrites).toBeLessThanOrEqual(result.ackedWrites);
    const [row] = await lab.query('postgres', 'SELECT pg_is_in_recovery() AS standby, (SELECT count(*) FROM pg_database WHERE datname = $1)::int AS payments', ['payments_db']);
    expect(row).toEqual({ standby: false, payments: 1 });
    // The state the drill recorded (a new data volume) is what a later pgdrill process reads.
    expect(await new DockerLab({ labDir, images }).dataPresent()).toBe(true);
  }, 120_000);

  it('skips a scenario the Docker target cannot run, with the reason (never passed)', async () => {
    const { result } = await drill('table-corruption');
    expect(result.status).toBe('skipped');
    expect(result.reasons[0]).toMatch(/needs the server's data directory, WAL archive and processes on this machine .*, which the Docker target does not offer/);
  });

  it('lab status --target docker shows the containers of a lab that `lab up --target docker` made', async () => {
    const run = await runCli(['lab', 'status', '--target', 'docker', '--lab-dir', labDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/PostgreSQL +\S+: container \S+-postgres running on 127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/Toxiproxy +\S+: container \S+-toxiproxy running, API http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/started by `lab up`/);
  });

  it('a drill interrupted with SIGINT removes its containers, network and volumes before it exits (130)', async () => {
    const dir = path.join(tempDir('docker-sigint'), 'lab');
    labDirs.push(dir);
    const cli = startCli(['drill', 'connection-loss', '--target', 'docker', '--lab-dir', dir, '--postgres-image', images.postgres, '--toxiproxy-image', images.toxiproxy]);
    let run;
    try {
      await expect.poll(() => cli.stderrSoFar(), { timeout: 90_000, interval: 100 }).toMatch(/Sample service at/);
      expect(resourcesOf(dir).length).toBe(6);
    } finally {
      cli.child.kill('SIGINT');
      run = await cli.done;
    }
    expect(run.code).toBe(130);
    expect(resourcesOf(dir)).toEqual([]);
  }, 120_000);

  it('a drill killed with SIGKILL leaves containers, and the next `up` removes them by label', async () => {
    const killedDir = path.join(tempDir('docker-killed'), 'lab');
    labDirs.push(killedDir);
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/pgdrill.mjs'), 'drill', 'connection-loss', '--target', 'docker', '--lab-dir', killedDir, '--postgres-image', images.postgres, '--toxiproxy-image', images.toxiproxy], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // The whole process group (pgdrill and its sample service), without any chance to clean up.
    try {
      await expect.poll(() => stderr, { timeout: 90_000, interval: 100 }).toMatch(/Sample service at/);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await expect.poll(() => isProcessAlive(child.pid!), { timeout: 10_000 }).toBe(false);
    expect(resourcesOf(killedDir).length).toBe(6);
    await lab.up('persistent');
    expect(resourcesOf(killedDir)).toEqual([]);
    expect(logs.some((l) => /Removed the leftovers of killed pgdrill runs: \d+ containers, \d+ networks?, \d+ volumes/.test(l))).toBe(true);
    // The lab of this file was reused, not touched.
    expect(resourcesOf(labDir).filter((r) => r.startsWith('container'))).toHaveLength(2);
  }, 120_000);
});

describe('--target docker without an engine, and list --target docker', () => {
  it('exits 1 with one paragraph saying no engine answered and how to start one', async () => {
    const run = await runCli(['lab', 'status', '--target', 'docker'], { DOCKER_HOST: 'tcp://127.0.0.1:1', PGDRILL_FROM_SOURCE: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--target docker needs a container engine, and none answered/);
    expect(run.stderr).toMatch(/Start Docker/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('lists which scenarios run on Docker and why the others are skipped', async () => {
    const run = await runCli(['list', '--target', 'docker']);
    expect(run.code).toBe(0);
    for (const id of ['connection-loss', 'slow-query', 'connection-exhaustion', 'service-crash', 'primary-failover']) expect(run.stdout).toMatch(new RegExp(`runs +${id} `));
    expect(run.stdout).toMatch(/runs +primary-failover /);
    expect(run.stdout).toMatch(/runs +database-lost /);
    expect(run.stdout).toMatch(/skipped table-corruption +needs the server's data directory/);
    expect(run.stdout).toMatch(/skipped pool-saturation +needs PgBouncer/);
  });
});
