import type { Command } from 'commander';
import { loadRunConfig } from '../../config/config.ts';
import { systemUnderDrill } from '../../system/system.ts';
import { UserError } from '../../core/errors.ts';
import { scenarioIds } from '../../engine/catalog.ts';
import { writeHtmlReport } from '../../report/html-report.ts';
import { writeJsonReport } from '../../report/json-report.ts';
import { writeJunitReport } from '../../report/junit-report.ts';
import { renderMarkdownSummary } from '../../report/markdown-summary.ts';
import { renderSuiteTable } from '../../report/suite-table.ts';
import { DEFAULT_TOLERANCE, findRegressions, readBaseline } from '../../suite/baseline.ts';
import { appendHistory, defaultHistoryFile } from '../../suite/history.ts';
import { runSuite } from '../../suite/run-suite.ts';
import { selectScenarios } from '../../suite/select-scenarios.ts';
import { progressLine, suiteExitCode, suiteWorkDir } from '../../suite/suite-output.ts';
import { checkOutputFile } from '../../util/safe-dir.ts';
import { appendStepSummary, say, warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';
import { addTargetOptions, chooseTarget, type TargetFlags } from '../target-options.ts';

interface CiFlags extends TargetFlags {
  config?: string;
  junit?: string;
  json?: string;
  html?: string;
  baseline?: string;
  history?: string | false;
}

/** `pgdrill ci`: the drill suite for CI, with objectives from a config, reports, a baseline and the exit code that gates the build. */
export function registerCi(program: Command, setExit: (code: number) => void): void {
  addTargetOptions(program.command('ci'))
    .description(commandSummary('ci'))
    .argument('[scenarios...]', 'scenario ids to run (default: the config\'s list, else every scenario)')
    .option('--config <file>', 'config file: the system under drill, objectives per scenario (default: ./pgdrill.config.ts when present)')
    .option('--junit <file>', 'write JUnit XML: one test case per scenario')
    .option('--json <file>', 'write the results as JSON (an array, one result per scenario)')
    .option('--html <file>', 'write a self-contained HTML report with a chart per scenario')
    .option('--baseline <file>', 'JSON results of an earlier run: an RTO regressed past the tolerance fails the build')
    .option('--history <file>', 'append the results to this history file (default: .pgdrill/history.jsonl)')
    .option('--no-history', 'do not record the results in the history')
    .addHelpText('after', '\nExit codes: 0 every objective met, 2 an objective breached or an RTO regressed against the baseline, 1 the harness failed or a fault had no effect.\nWhen $GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.')
    .action(async (names: string[], flags: CiFlags) => {
      const { file: configFile, config, dir } = await loadRunConfig(flags.config, scenarioIds());
      const system = systemUnderDrill(config, dir);
      const baseline = flags.baseline ? readBaseline(flags.baseline) : undefined;
      for (const [flag, file] of [['--json', flags.json], ['--junit', flags.junit], ['--html', flags.html], ['--history', typeof flags.history === 'string' ? flags.history : undefined]] as const) {
        if (file) checkOutputFile(file, flag);
      }
      const wanted = names.length > 0 ? names : (config.scenarios ?? []);
      const scenarios = await selectScenarios({ names: wanted, all: wanted.length === 0 });
      if (configFile) warn(`· config: ${configFile}${system.kind === 'configured' ? ` (system under drill: ${system.database}, ledger ${system.ledger.schema}.${system.ledger.table})` : ''}`);
      const where = await chooseTarget(flags, config);
      const records = await runSuite(scenarios, {
        ...where,
        workDir: suiteWorkDir(),
        objectives: config.objectives,
        holdMs: config.holdMs,
        load: config.rate ? { rate: config.rate } : {},
        ...(config.pooler ? { pooler: true } : {}),
        system,
        onScenario: ({ index, total, scenario, result }) => warn(progressLine(index, total, scenario.id, result)),
      });
      const results = records.map((r) => r.result);
      const regressions = baseline ? findRegressions(results, baseline, { ...DEFAULT_TOLERANCE, ...config.regression }) : new Map<string, string>();
      say(renderSuiteTable(results));
      for (const r of results) for (const reason of r.reasons) warn(`${r.scenario}: ${reason}`);
      for (const [scenario, regression] of regressions) warn(`${scenario}: regression: ${regression}`);
      if (flags.json) writeJsonReport(flags.json, results);
      if (flags.junit) writeJunitReport(flags.junit, results, regressions);
      if (flags.html) writeHtmlReport(flags.html, records);
      if (flags.history !== false) appendHistory(typeof flags.history === 'string' ? flags.history : defaultHistoryFile(), results);
      appendStepSummary(() => renderMarkdownSummary(results, [...regressions].map(([s, g]) => `${s}: ${g}`)));
      setExit(suiteExitCode(results, regressions.size > 0));
    });
}
