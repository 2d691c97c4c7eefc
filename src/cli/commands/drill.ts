import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import type { DrillResult } from '../../core/result.ts';
import type { Objectives } from '../../core/scenario.ts';
import { UserError } from '../../core/errors.ts';
import { runDrill } from '../../engine/drill.ts';
import { comparePooler } from '../../engine/pooler-comparison.ts';
import { LAB_DIR_ROLE } from '../../lab/lab-dir.ts';
import { checkDirPath, checkOutputFile } from '../../util/safe-dir.ts';
import { loadRunConfig } from '../../config/config.ts';
import { scenarioIds } from '../../engine/catalog.ts';
import { systemUnderDrill, type SystemUnderDrill } from '../../system/system.ts';
import { parseRdsTarget } from '../../rds/describe-instance.ts';
import { runRdsFailoverDrill } from '../../rds/rds-failover-drill.ts';
import { runRdsRestoreDrill } from '../../rds/rds-restore-drill.ts';
import { renderSuiteTable } from '../../report/suite-table.ts';
import { progressLine, suiteExitCode, suiteWorkDir } from '../../suite/suite-output.ts';
import { runSuite } from '../../suite/run-suite.ts';
import { selectScenarios } from '../../suite/select-scenarios.ts';
import { printDrillResult, printStepEvents } from '../drill-output.ts';
import type { LoadProfile } from '../../load/load-generator.ts';
import { writeJsonReport } from '../../report/json-report.ts';
import { say, warn } from '../output.ts';
import { parseDuration, parsePositiveInt } from '../parse.ts';
import { commandSummary } from '../command-table.ts';
import { addTargetOptions, chooseTarget, type TargetFlags } from '../target-options.ts';

/** The exit code of one drill's status: a pass is 0, a breach 2, anything that rehearsed nothing 1. */
export function exitCodeOf(status: DrillResult['status']): number {
  if (status === 'passed') return ExitCode.ok;
  if (status === 'breached') return ExitCode.objectiveBreached;
  return ExitCode.harnessFailed;
}

interface DrillFlags extends TargetFlags {
  all?: boolean;
  tag?: string[];
  variant?: string;
  hold?: number;
  observe?: number;
  rate?: number;
  json?: string;
  labDir?: string;
  objectiveRto?: number;
  objectiveRpo?: number;
  quiet?: boolean;
  pooler?: boolean;
  config?: string;
  serviceUrl?: string;
  url?: string;
  region?: string;
  allowDestructive?: boolean;
  keep?: boolean;
}

/** `pgdrill drill <scenario...> | --all | --tag`: scenarios end to end, on the lab. */
export function registerDrill(program: Command, setExit: (code: number) => void): void {
  addTargetOptions(program.command('drill'), { rds: true })
    .description(commandSummary('drill'))
    .argument('[scenarios...]', 'scenario ids (see `pgdrill list`) or paths to scenario .ts files')
    .option('--all', 'run every scenario, one after another, each in a fresh lab')
    .option('--tag <tag...>', 'run the scenarios with any of these tags, each in a fresh lab')
    .option('--variant <name>', 'run a variant of the scenario (another fault, same runbook); one scenario only')
    .option('--hold <duration>', 'how long the fault stands before the runbook starts (e.g. 5s)', parseDuration)
    .option('--observe <duration>', 'how long to keep observing after the runbook ends', parseDuration)
    .option('--rate <n>', 'load: requests per second', parsePositiveInt)
    .option('--objective-rto <duration>', 'override the RTO objective (e.g. 5m)', parseDuration)
    .option('--objective-rpo <duration>', 'override the RPO objective (0 = no acknowledged write may be lost)', parseDuration)
    .option('--json <file>', 'also write the result(s) as JSON to this file')
    .option('--lab-dir <dir>', 'lab directory of a single drill (default: .pgdrill under the current directory)')
    .option('--pooler', 'put PgBouncer in the service path (service → fault proxy → PgBouncer → PostgreSQL); a scenario with a pooler claim (connection-exhaustion) is measured without and with it')
    .option('--config <file>', 'config file: the system under drill and objectives (default: ./pgdrill.config.ts when present)')
    .option('--service-url <url>', 'with --target rds:<id>: your service, which uses the instance; the load runs against it (default: the config\'s service.url)')
    .option('--url <url>', 'with --target rds:<id>: the instance\'s DATABASE_URL, to read the ledger table (postgres://user:password@endpoint:5432/database)')
    .option('--region <region>', 'with --target rds:<id>: its AWS region (default: the AWS default chain)')
    .option('--allow-destructive', 'with --target rds:<id>: act on an instance not tagged pgdrill:drill=allowed')
    .option('--keep', 'with database-lost --target rds:<id>: keep the restored instance (it stays billed) instead of deleting it')
    .option('-q, --quiet', 'print only the result table')
    .addHelpText('after', '\nExit codes: 0 every objective met, 2 an objective breached, 1 the harness failed or a fault had no effect (ineffective).')
    .action(async (names: string[], flags: DrillFlags) => {
      const { file: configFile, config, dir } = await loadRunConfig(flags.config, scenarioIds());
      const system = systemUnderDrill(config, dir);
      if (flags.target?.startsWith('rds:')) {
        await rdsDrill(names, flags, system, config.rate, setExit);
        return;
      }
      for (const [flag, given] of [['--service-url', flags.serviceUrl], ['--url', flags.url], ['--region', flags.region], ['--allow-destructive', flags.allowDestructive], ['--keep', flags.keep]] as const) {
        if (given !== undefined) throw new UserError(`${flag} applies to --target rds:<id>.`, 'Add --target rds:<instance id>, or leave it out (lab drills act on the lab).');
      }
      const scenarios = await selectScenarios({ names, all: flags.all, tags: flags.tag });
      if (flags.labDir) checkDirPath(flags.labDir, LAB_DIR_ROLE);
      if (flags.json) checkOutputFile(flags.json, '--json');
      const objectives: Partial<Objectives> = {};
      if (flags.objectiveRto !== undefined) {
        if (flags.objectiveRto <= 0) throw new UserError('--objective-rto must be more than 0: no recovery takes no time.', 'Give the longest acceptable recovery time, e.g. --objective-rto 5m.');
        objectives.rtoMs = flags.objectiveRto;
      }
      if (flags.objectiveRpo !== undefined) objectives.rpoMs = flags.objectiveRpo;
      const load: Partial<LoadProfile> = {};
      const rate = flags.rate ?? config.rate;
      if (rate !== undefined) load.rate = rate;
      const log = flags.quiet ? undefined : (line: string) => warn(`· ${line}`);
      if (configFile && !flags.quiet) warn(`· config: ${configFile}${system.kind === 'configured' ? ` (system under drill: ${system.database}, ledger ${system.ledger.schema}.${system.ledger.table})` : ''}`);
      const where = await chooseTarget(flags, config);
      if (where.target === 'docker' && flags.pooler) throw new UserError('--pooler is not available on the Docker target yet: its lab has no PgBouncer.', 'Leave --pooler out, or run on the embedded lab (without --target docker).');
      const common = { ...where, holdMs: flags.hold ?? config.holdMs, observeMs: flags.observe, load, log, onEvent: flags.quiet ? undefined : printStepEvents, system, ...(flags.pooler ? { pooler: true } : {}) };
      // Objectives: the config's per scenario, then the flags over them.
      const objectivesOf = (id: string): Partial<Objectives> => ({ ...config.objectives?.[id], ...objectives });

      if (scenarios.length === 1 && !flags.all && !flags.tag && flags.pooler && scenarios[0]!.poolerClaim) {
        const comparison = await comparePooler(scenarios[0]!, { ...common, labDir: flags.labDir, variant: flags.variant, objectives: objectivesOf(scenarios[0]!.id) });
        say('Without the pooler:');
        printDrillResult(comparison.without.result);
        say('With PgBouncer in the path:');
        // Its notes end with the comparison (comparison.summary).
        printDrillResult(comparison.with.result);
        if (flags.json) writeJsonReport(flags.json, [comparison.without.result, comparison.with.result]);
        setExit(exitCodeOf(comparison.with.result.status));
        return;
      }
      if (scenarios.length === 1 && !flags.all && !flags.tag) {
        const { result } = await runDrill(scenarios[0]!, { ...common, labDir: flags.labDir, variant: flags.variant, objectives: objectivesOf(scenarios[0]!.id) });
        printDrillResult(result);
        if (flags.json) writeJsonReport(flags.json, result);
        setExit(exitCodeOf(result.status));
        return;
      }
      if (flags.variant) throw new UserError('--variant applies to one scenario.', 'Run that scenario alone: `pgdrill drill <scenario> --variant <name>`.');
      if (flags.labDir) throw new UserError('--lab-dir applies to one scenario; several scenarios each get a fresh lab.', 'Leave --lab-dir out, or run one scenario.');
      const records = await runSuite(scenarios, {
        ...common,
        workDir: suiteWorkDir(),
        objectives: Object.fromEntries(scenarios.map((s) => [s.id, objectivesOf(s.id)])),
        log: undefined,
        onEvent: undefined,
        onScenario: ({ index, total, scenario, result }) => warn(progressLine(index, total, scenario.id, result)),
      });
      const results = records.map((r) => r.result);
      say(renderSuiteTable(results));
      for (const r of results) for (const reason of r.reasons) warn(`${r.scenario}: ${reason}`);
      if (flags.json) writeJsonReport(flags.json, results);
      setExit(suiteExitCode(results));
    });
}

/** `drill primary-failover | database-lost --target rds:<id>`: a forced failover under the load of the user's service, or a restore timed for RTO. */
async function rdsDrill(names: string[], flags: DrillFlags, system: SystemUnderDrill, configRate: number | undefined, setExit: (code: number) => void): Promise<void> {
  const instanceId = parseRdsTarget(flags.target ?? '');
  const name = names[0];
  if (names.length !== 1 || (name !== 'primary-failover' && name !== 'database-lost') || flags.all || flags.tag) {
    throw new UserError(`On --target rds:<id> pgdrill drills primary-failover or database-lost, one at a time (asked: ${[...names, ...(flags.all ? ['--all'] : []), ...(flags.tag ?? []).map((t) => `--tag ${t}`)].join(' ') || 'nothing'}).`, `Run \`pgdrill drill primary-failover --target rds:${instanceId} --service-url <url> --url <DATABASE_URL>\` or \`pgdrill drill database-lost --target rds:${instanceId}\`.`);
  }
  for (const [flag, given] of [['--lab-dir', flags.labDir], ['--pooler', flags.pooler], ['--variant', flags.variant]] as const) {
    if (given !== undefined) throw new UserError(`${flag} does not apply to --target rds:<id>.`, 'Leave it out.');
  }
  if (flags.json) checkOutputFile(flags.json, '--json');
  const objectives = { ...(flags.objectiveRto !== undefined ? { rtoMs: flags.objectiveRto } : {}), ...(flags.objectiveRpo !== undefined ? { rpoMs: flags.objectiveRpo } : {}) };
  const common = { instanceId, allowDestructive: flags.allowDestructive === true, objectives, ...(flags.region ? { region: flags.region } : {}), ...(flags.quiet ? {} : { log: (line: string) => warn(`· ${line}`) }) };
  let result: DrillResult;
  if (name === 'database-lost') {
    if (flags.serviceUrl) throw new UserError('database-lost on RDS times a restore into a new instance; no load runs, so --service-url is not used.', 'Leave --service-url out.');
    result = await runRdsRestoreDrill({ ...common, keep: flags.keep === true, ...(flags.url ? { databaseUrl: flags.url } : {}) });
  } else {
    if (flags.keep) throw new UserError('--keep applies to database-lost (a restore creates an instance); a forced failover creates nothing.', 'Leave --keep out.');
    const serviceUrl = flags.serviceUrl ?? system.external?.url;
    if (!serviceUrl) throw new UserError('A failover drill on RDS needs your service: --service-url (or service.url in the config).', 'Run the service against the instance, then give --service-url http://host:port.');
    if (!flags.url) throw new UserError('A drill on RDS needs --url, the instance\'s DATABASE_URL: the ledger of acknowledged writes is checked in its database.', 'Add --url postgres://user:password@<endpoint>:5432/<database>.');
    const rate = flags.rate ?? configRate;
    result = await runRdsFailoverDrill({ ...common, serviceUrl, databaseUrl: flags.url, system, ...(rate !== undefined ? { load: { rate } } : {}), ...(flags.observe !== undefined ? { observeMs: flags.observe } : {}) });
  }
  printDrillResult(result);
  if (flags.json) writeJsonReport(flags.json, result);
  setExit(exitCodeOf(result.status));
}
