import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import type { DrillResult } from '../../core/result.ts';
import type { Objectives } from '../../core/scenario.ts';
import { loadScenario } from '../../engine/catalog.ts';
import { runDrill } from '../../engine/drill.ts';
import type { LoadProfile } from '../../load/load-generator.ts';
import { formatDuration } from '../../report/format.ts';
import { writeJsonReport } from '../../report/json-report.ts';
import { renderDrillResult } from '../../report/terminal-report.ts';
import { say, warn } from '../output.ts';
import { parseDuration, parsePositiveInt } from '../parse.ts';

/** The exit code of one drill's status: a pass is 0, a breach 2, anything that rehearsed nothing 1. */
export function exitCodeOf(status: DrillResult['status']): number {
  if (status === 'passed') return ExitCode.ok;
  if (status === 'breached') return ExitCode.objectiveBreached;
  return ExitCode.harnessFailed;
}

interface DrillFlags {
  variant?: string;
  hold?: number;
  observe?: number;
  rate?: number;
  json?: string;
  labDir?: string;
  objectiveRto?: number;
  objectiveRpo?: number;
  quiet?: boolean;
}

/** `pgdrill drill <scenario>`: one scenario, end to end, on the lab. */
export function registerDrill(program: Command, setExit: (code: number) => void): void {
  program
    .command('drill')
    .description('run a disaster scenario unattended on the lab under load, and measure RTO and RPO')
    .argument('<scenario>', 'scenario id (see `pgdrill list`) or path to a scenario .ts file')
    .option('--variant <name>', 'run a variant of the scenario (another fault, same runbook)')
    .option('--hold <duration>', 'how long the fault stands before the runbook starts (e.g. 5s)', parseDuration)
    .option('--observe <duration>', 'how long to keep observing after the runbook ends', parseDuration)
    .option('--rate <n>', 'load: requests per second', parsePositiveInt)
    .option('--objective-rto <duration>', 'override the RTO objective (e.g. 5m)', parseDuration)
    .option('--objective-rpo <duration>', 'override the RPO objective (0 = no acknowledged write may be lost)', parseDuration)
    .option('--json <file>', 'also write the result as JSON to this file')
    .option('--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)')
    .option('-q, --quiet', 'print only the result table')
    .addHelpText('after', '\nExit codes: 0 every objective met, 2 an objective breached, 1 the harness failed or the fault had no effect (ineffective).')
    .action(async (scenarioId: string, flags: DrillFlags) => {
      const scenario = await loadScenario(scenarioId);
      const objectives: Partial<Objectives> = {};
      if (flags.objectiveRto !== undefined) {
        if (flags.objectiveRto <= 0) throw new InvalidArgumentError('--objective-rto must be more than 0');
        objectives.rtoMs = flags.objectiveRto;
      }
      if (flags.objectiveRpo !== undefined) objectives.rpoMs = flags.objectiveRpo;
      const load: Partial<LoadProfile> = {};
      if (flags.rate !== undefined) load.rate = flags.rate;
      const log = flags.quiet ? undefined : (line: string) => warn(`· ${line}`);
      const { result } = await runDrill(scenario, {
        labDir: flags.labDir,
        variant: flags.variant,
        holdMs: flags.hold,
        observeMs: flags.observe,
        objectives,
        load,
        log,
        onEvent: flags.quiet
          ? undefined
          : (event) => {
              if (event.type === 'step-start') warn(`  ▸ ${event.stepId}: ${event.title}`);
              if (event.type === 'step-output') warn(`      ${event.line}`);
              if (event.type === 'step-end') warn(`  ${event.status === 'done' ? '✓' : '✗'} ${event.stepId} ${event.status} in ${formatDuration(event.durationMs)}${event.detail && event.status !== 'done' ? `: ${event.detail}` : ''}`);
            },
      });
      if (result.status === 'error') {
        // A harness failure is not a measurement: say what went wrong, not a table of numbers.
        warn(`pgdrill: drill ${result.scenario} could not run: ${result.reasons.join('\n')}`);
        say(`${result.scenario}: ERROR (harness failed); no objective was judged.`);
        for (const failure of result.cleanupFailures) warn(`cleanup failed: ${failure}`);
      } else {
        say(renderDrillResult(result));
      }
      if (flags.json) writeJsonReport(flags.json, result);
      setExit(exitCodeOf(result.status));
    });
}
