import type { Command } from 'commander';
import { describeFaultProxy } from '../../engine/fault-proxy.ts';
import { Lab } from '../../lab/lab.ts';
import { say, warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';
import { loadRunConfig } from '../../config/config.ts';
import { UserError } from '../../core/errors.ts';
import { scenarioIds } from '../../engine/catalog.ts';
import { provisionSystem } from '../../system/provision.ts';
import { systemUnderDrill } from '../../system/system.ts';
import { addTargetOptions, chooseTarget, type TargetFlags } from '../target-options.ts';
import { DockerLab } from '../../docker/docker-lab.ts';
import { dockerImages } from '../../docker/images.ts';
import { defaultLabDir } from '../../lab/lab.ts';

/** `lab up --target docker`: the containerised lab, persistent until `lab down --target docker`. */
async function dockerLabUp(flags: TargetFlags & { labDir?: string; replica?: boolean; ssl?: boolean; pooler?: boolean; printEnv?: boolean; config?: string }): Promise<void> {
  const unsupported = (['replica', 'ssl', 'pooler', 'printEnv'] as const).filter((f) => flags[f]);
  if (unsupported.length > 0) {
    const names = unsupported.map((f) => (f === 'printEnv' ? '--print-env' : `--${f}`)).join(', ');
    throw new UserError(`${names} ${unsupported.length === 1 ? 'is' : 'are'} not available with --target docker yet: the Docker lab is PostgreSQL and Toxiproxy only.`, `Leave ${names} out, or use the embedded lab (without --target docker).`);
  }
  const run = await loadRunConfig(flags.config, scenarioIds());
  const where = await chooseTarget(flags, run.config);
  const d = new DockerLab({ labDir: flags.labDir ?? defaultLabDir(), images: where.dockerImages!, log: (line) => warn(`· ${line}`) });
  const { started } = await d.up('persistent');
  const s = await d.status();
  say(`${started ? 'Docker lab is up' : 'Docker lab was already up'}: ${s.images!.postgres} on ${d.endpoint.host}:${d.endpoint.port} (container ${s.postgres!.container}), Toxiproxy API ${s.toxiproxy!.apiUrl} (${s.images!.toxiproxy}), lab directory ${d.labDir}.`);
  say(`Databases: auth_db, payments_db, admin_db, profile_db. Superuser connection: ${d.adminUrl('postgres')}`);
}

/** `pgdrill lab up | status | down`: the embedded PostgreSQL lab. */
export function registerLab(program: Command): void {
  const lab = program.command('lab').description(commandSummary('lab'));
  const labDirOption = ['--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)'] as const;

  addTargetOptions(lab.command('up'))
    .description('create (first time) and start the lab; idempotent')
    .option(...labDirOption)
    .option('--replica', 'also run a streaming replica (hot standby) beside the primary, on its own port')
    .option('--ssl', 'turn SSL on with a self-signed certificate (made with openssl) and reject non-SSL TCP connections of the service roles; stays on until --purge')
    .option('--pooler', 'also run PgBouncer (transaction pooling) in front of the primary, on its own port')
    .option('--print-env', "create the config's system database (kept between drills) and print the DATABASE_URL a service already running must use (system.service.url)")
    .option('--config <file>', 'config file with the system (default: ./pgdrill.config.ts when present)')
    .action(async (flags: TargetFlags & { labDir?: string; replica?: boolean; ssl?: boolean; pooler?: boolean; printEnv?: boolean; config?: string }) => {
      if (flags.target === 'docker') return dockerLabUp(flags);
      // Read before the lab starts: a bad config changes nothing.
      const run = flags.printEnv || flags.config ? await loadRunConfig(flags.config, scenarioIds()) : undefined;
      const system = run ? systemUnderDrill(run.config, run.dir) : undefined;
      if (flags.printEnv && system?.kind !== 'configured') {
        throw new UserError(`--print-env prints the DATABASE_URL of a configured system's service, and ${run?.file ? `${run.file} has no \`system\`` : 'there is no pgdrill.config.ts here'}.`, 'Describe the system in pgdrill.config.ts (see the README: Drill your own service), or give --config.');
      }
      const l = new Lab({ labDir: flags.labDir, log: (line) => warn(`· ${line}`) });
      const { started, replicaStarted, poolerStarted } = await l.up('persistent', { replica: flags.replica, ssl: flags.ssl, pooler: flags.pooler });
      say(`${started ? 'Lab is up' : 'Lab was already up'}: PostgreSQL ${l.pg().major} on ${l.endpoint.host}:${l.endpoint.port}${l.ssl ? ' with SSL (self-signed; service roles must use it)' : ''}, lab directory ${l.labDir}.`);
      const r = l.replica;
      if (r) say(`${replicaStarted ? 'Replica is up' : 'Replica was already up'}: streaming hot standby on ${l.replicaEndpoint.host}:${r.port}, data directory ${r.dataDir}.`);
      const pooler = l.pooler;
      if (pooler) say(`${poolerStarted ? 'PgBouncer is up' : 'PgBouncer was already up'} (pid ${pooler.pid()}): transaction pooling on ${pooler.endpoint.host}:${pooler.endpoint.port}, admin console ${pooler.adminUrl()}`);
      say(`Databases: auth_db, payments_db, admin_db, profile_db. Superuser connection: ${l.adminUrl('postgres')}`);
      if (flags.printEnv && system) {
        const provisioned = await provisionSystem(l, system, (line) => warn(`· ${line}`), 'keep');
        warn(`· ${system.database} is kept between drills; its service must connect through the drill's fault proxy, which listens on 127.0.0.1:${provisioned.proxyPort} while a drill runs.`);
        // Asked for by name, to hand to the service: the one place a password is printed, to stdout only, never to a log.
        process.stdout.write(`DATABASE_URL=${provisioned.serviceUrl({ host: '127.0.0.1', port: provisioned.proxyPort! })}\n`);
      }
    });

  addTargetOptions(lab.command('status'))
    .description('show whether the lab runs, where, its connections and WAL archive')
    .option(...labDirOption)
    .option('--json', 'print the status as JSON')
    .action(async (flags: TargetFlags & { labDir?: string; json?: boolean }) => {
      if (flags.target === 'docker') {
        await chooseTarget(flags);
        const s = await new DockerLab({ labDir: flags.labDir ?? defaultLabDir(), images: dockerImages(flags) }).status();
        if (flags.json) return say(JSON.stringify(s, null, 2));
        if (!s.exists) return say(`No Docker lab in ${s.labDir}. Run \`pgdrill lab up --target docker\` to create one.`);
        say(`lab directory   ${s.labDir} (Docker, ${s.mode === 'persistent' ? 'started by `lab up`' : 'a drill\'s own'})`);
        say(`PostgreSQL      ${s.images!.postgres}: container ${s.postgres!.container} ${s.postgres!.running ? `running on 127.0.0.1:${s.postgres!.port}` : 'not running'}`);
        say(`Toxiproxy       ${s.images!.toxiproxy}: container ${s.toxiproxy!.container} ${s.toxiproxy!.running ? `running, API ${s.toxiproxy!.apiUrl}` : 'not running'}`);
        say(`network         ${s.network}`);
        if (s.archivedWalFiles !== null) say(`WAL archive     volume, ${s.archivedWalFiles} segments archived since the server started`);
        if (s.postgres!.running) say(`connections     ${Object.entries(s.connections).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`);
        return;
      }
      const l = new Lab({ labDir: flags.labDir });
      const s = await l.status();
      const faultProxy = describeFaultProxy();
      if (flags.json) {
        say(JSON.stringify({ ...s, faultProxy }, null, 2));
        return;
      }
      if (!s.exists) {
        say(`No lab in ${s.labDir}. Run \`pgdrill lab up\` to create one.`);
        say(`fault proxy     ${faultProxy}`);
        return;
      }
      say(`lab directory   ${s.labDir}`);
      say(`state           ${s.running ? `running (pid ${s.pid})` : 'stopped'}${s.owner ? `, started by ${s.owner.mode === 'persistent' ? '`lab up`' : `a drill (pid ${s.owner.pid})`}` : ''}`);
      say(`PostgreSQL      ${s.pgMajor} on 127.0.0.1:${s.port}${s.ssl ? ', SSL on (self-signed; the service roles must use it)' : ''}`);
      say(`data directory  ${s.dataDir}`);
      say(`WAL archive     ${s.archiveDir} (${s.archivedWalFiles} segments)`);
      const a = s.archiver;
      if (a) {
        const last = a.lastArchivedWal ? `last archived ${a.lastArchivedWal} at ${a.lastArchivedAt}` : 'nothing archived since the server started';
        const failed = a.failedCount ? `; ${a.failedCount} failed attempt(s), last ${a.lastFailedWal} at ${a.lastFailedAt}` : '';
        say(`archiver        ${a.failing ? 'FAILING' : 'ok'}: ${last}${failed}; ${a.waiting} file(s) waiting`);
        if (a.problem) say(`PROBLEM         ${a.problem}`);
      }
      say(`server log      ${s.logFile}`);
      say(`fault proxy     ${faultProxy}`);
      if (s.running) say(`connections     ${Object.entries(s.connections).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`);
      for (const c of s.scratchClusters) {
        say(`scratch cluster ${c.name}: ${c.running ? `running (pid ${c.pid}, port ${c.port})` : 'stopped'}, ${c.dataDir}; left by a restore or verification that did not finish (\`pgdrill lab down\` stops it, \`--purge\` removes it)`);
      }
      const pb = s.pooler;
      if (pb) {
        say(`pgbouncer       ${pb.running ? `running (pid ${pb.pid})` : 'stopped'} on 127.0.0.1:${pb.port} → ${pb.upstream.host}:${pb.upstream.port}; config ${pb.configFile}, log ${pb.logFile}`);
        if (pb.problem) say(`PROBLEM         PgBouncer: ${pb.problem}`);
        if (pb.running && !pb.problem) say(`pools           ${pb.pools.length === 0 ? 'none yet (a pool appears with its first client)' : pb.pools.map((p) => `${p.database}/${p.user}: cl_active ${p.clActive}, cl_waiting ${p.clWaiting}, sv_active ${p.svActive}, sv_idle ${p.svIdle}, maxwait ${p.maxwaitMs} ms`).join('; ')}`);
      }
      const r = s.replica;
      if (r) {
        const what = r.role === 'promoted' ? 'promoted (a primary of its own: not following the lab primary)' : 'hot standby';
        say(`replica         ${r.running ? `running (pid ${r.pid})` : 'stopped'}, ${what}, on 127.0.0.1:${r.port}`);
        say(`replica data    ${r.dataDir} (log ${r.logFile})`);
        if (r.running && r.role === 'standby') say(`replica WAL     received ${r.receiveLsn ?? '—'}, replayed ${r.replayLsn ?? '—'}`);
        if (r.stream) {
          const lag = (v: number | null) => (v === null ? '0 ms (idle)' : `${v.toFixed(1)} ms`);
          const bytes = (v: number | null) => (v === null ? '—' : `${v} bytes`);
          say(`replication     ${r.stream.state}, ${r.stream.syncState}; lag write ${lag(r.stream.writeLagMs)}, flush ${lag(r.stream.flushLagMs)}, replay ${lag(r.stream.replayLagMs)}; behind: flush ${bytes(r.stream.flushBytesBehind)}, replay ${bytes(r.stream.replayBytesBehind)}`);
        } else if (s.running && r.role === 'standby') {
          say('replication     not streaming (the primary does not see the replica)');
        }
      }
    });

  addTargetOptions(lab.command('down'))
    .description('stop the lab (and its replica); removes nothing unless --purge')
    .option(...labDirOption)
    .option('--purge', 'also delete the lab: data directory, replica, WAL archive, state')
    .action(async (flags: TargetFlags & { labDir?: string; purge?: boolean }) => {
      if (flags.target === 'docker') {
        await chooseTarget(flags);
        const { stopped } = await new DockerLab({ labDir: flags.labDir ?? defaultLabDir(), images: dockerImages(flags), log: (line) => warn(`· ${line}`) }).down();
        say(`${stopped ? 'Docker lab removed (containers, network and volumes)' : 'There was no Docker lab running'}.`);
        return;
      }
      const l = new Lab({ labDir: flags.labDir, log: (line) => warn(`· ${line}`) });
      const { stopped } = await l.down({ purge: flags.purge });
      say(`${stopped ? 'Lab stopped' : 'Lab was not running'}${flags.purge ? '; its files were removed' : ''}.`);
    });
}
