import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { UserError } from '../../core/errors.ts';
import type { DrillResult } from '../../core/result.ts';
import { loadScenario, scenarioIds } from '../../engine/catalog.ts';
import { loadRunConfig } from '../../config/config.ts';
import { systemUnderDrill } from '../../system/system.ts';
import { runDrill, type DrillRecord } from '../../engine/drill.ts';
import { gameDayRecordData } from '../../gameday/gameday-record.ts';
import { GameDay, type GameDayGap } from '../../gameday/gameday-driver.ts';
import { compareWithRobot } from '../../gameday/robot-comparison.ts';
import { checkResumable, operatorName } from '../../guide/open-session.ts';
import type { SessionState } from '../../guide/session-state.ts';
import { readJournal, type JournalRead } from '../../journal/journal-reader.ts';
import type { Scenario } from '../../core/scenario.ts';
import { defaultJournalPath } from '../../journal/journal-path.ts';
import { LAB_DIR_ROLE } from '../../lab/lab-dir.ts';
import { formatDuration } from '../../report/format.ts';
import { writeJsonReport } from '../../report/json-report.ts';
import { appendHistory, defaultHistoryFile, readHistory } from '../../suite/history.ts';
import { checkDirPath, checkOutputFile } from '../../util/safe-dir.ts';
import { holdTerminalSignals } from '../terminal-signals.ts';
import { commandSummary } from '../command-table.ts';
import { printDrillResult } from '../drill-output.ts';
import { importWithoutCiDetection } from '../load-ui.ts';
import { say, warn } from '../output.ts';
import { parseDuration } from '../parse.ts';
import { exitCodeOf } from './drill.ts';
import { addTargetOptions, chooseTarget, type TargetFlags } from '../target-options.ts';

interface GameDayFlags extends TargetFlags {
  variant?: string;
  surprise?: { minMs: number; maxMs: number };
  operator?: string;
  json?: string;
  journal?: string;
  labDir?: string;
  observe?: number;
  history?: boolean;
  config?: string;
  resume?: string;
}

/** `--surprise 30s-3m`: the window in which the fault comes, after the steady state. */
export function parseSurpriseWindow(value: string): { minMs: number; maxMs: number } {
  const m = /^([^-]+)-([^-]+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a window; use <min>-<max>, e.g. 30s-3m.`);
  const minMs = parseDuration(m[1]!);
  const maxMs = parseDuration(m[2]!);
  if (maxMs < minMs) throw new InvalidArgumentError(`"${value}": the window ends before it starts.`);
  if (maxMs > 3_600_000) throw new InvalidArgumentError(`"${value}": a surprise window of more than an hour is not a drill.`);
  return { minMs, maxMs };
}

/**
 * A resumed game day's result on the incident clock: the RTO counts from
 * the first fault (the time pgdrill was not running included, as it is for
 * the incident), judged again against the objective, and a note says when
 * the load was interrupted and that nothing was measured in between.
 */
export function withGap(result: DrillResult, gap: GameDayGap | undefined): DrillResult {
  if (!gap || result.t0Ms === null) return result;
  const rtoMs = result.rtoMs === null ? null : result.rtoMs + gap.resumedAtMs;
  const breached = rtoMs !== null && result.status === 'passed' && rtoMs > result.objectives.rtoMs;
  return {
    ...result,
    rtoMs,
    t0Ms: result.t0Ms - gap.resumedAtMs,
    status: breached ? 'breached' : result.status,
    reasons: breached ? [...result.reasons, `RTO ${formatDuration(rtoMs)} (from the first fault, the interruption included) exceeds the objective ${formatDuration(result.objectives.rtoMs)}`] : result.reasons,
    notes: [
      ...result.notes,
      `pgdrill stopped after +${formatDuration(gap.lastBeforeMs)} of the incident and was resumed at +${formatDuration(gap.resumedAtMs)}: the load was interrupted, nothing was measured in between, and the requests and writes counted here are those after the resume. The RTO counts from the first fault.`,
    ],
  };
}

/**
 * The journal of a game day to continue: it must be a game day of this
 * scenario, with the same runbook steps, not yet measured; resumed without a
 * surprise (the incident is already under way).
 */
function resumableGameDay(file: string, scenario: Scenario, flags: GameDayFlags): { read: JournalRead; state: SessionState } {
  if (flags.surprise) throw new UserError('--surprise and --resume do not go together: a resumed game day continues an incident that is already under way.', 'Leave --surprise out.');
  if (flags.journal) throw new UserError('--journal and --resume do not go together: a resumed game day appends to the journal it continues.', 'Leave --journal out.');
  const read = readJournal(file);
  const fault = read.records.find((r) => r.type === 'gameday' && r.event === 'fault');
  if (!fault) throw new UserError(`The journal ${read.path} is not a game day's (it has no fault record).`, 'Resume a guided session with `pgdrill guide <runbook> --resume`, or start a new game day.');
  if (fault.type === 'gameday' && !fault.detail.startsWith(`${scenario.id}:`)) {
    throw new UserError(`The journal ${read.path} is a game day of another scenario (${fault.detail.split(':')[0]}), not "${scenario.id}".`, 'Resume it with the scenario it was started with.');
  }
  if (read.records.some((r) => r.type === 'gameday' && r.event === 'result')) {
    throw new UserError(`The game day in ${read.path} already finished and was measured; there is nothing to resume.`, `\`pgdrill report ${read.path}\` writes its postmortem.`);
  }
  return { read, state: checkResumable(read, scenario.runbook) };
}

/** `pgdrill gameday <scenario>`: a fault under load, and a person recovers it with the runbook while the clock runs. */
export function registerGameDay(program: Command, setExit: (code: number) => void): void {
  addTargetOptions(program.command('gameday'))
    .description(commandSummary('gameday'))
    .argument('<scenario>', 'scenario id (see `pgdrill list`) or path to a scenario .ts file')
    .option('--variant <name>', 'a variant of the scenario (another fault, same runbook)')
    .option('--surprise <window>', 'inject the fault at a random moment in this window after the steady state, e.g. 30s-3m', parseSurpriseWindow)
    .option('--operator <name>', 'who recovers (default: $PGDRILL_OPERATOR or the login name)')
    .option('--observe <duration>', 'how long to keep observing after the last step', parseDuration)
    .option('--journal <file>', 'journal file (default: .pgdrill/journals/gameday-<scenario>-<time>.jsonl)')
    .option('--json <file>', 'also write the result as JSON to this file')
    .option('--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)')
    .option('--config <file>', 'config file: the system under drill and objectives (default: ./pgdrill.config.ts when present)')
    .option('--resume <journal>', 'continue a game day that pgdrill stopped (killed, crashed, lost terminal) from its journal: the fault stands again, the runbook goes on where it was')
    .option('--no-history', 'do not append the result to .pgdrill/history.jsonl')
    .addHelpText('after', '\nNeeds a terminal and a person; for CI use `pgdrill drill` or `pgdrill ci`.\nExit codes: 0 every objective met, 2 an objective breached, 1 the harness failed, 130/143 interrupted.')
    .action(async (name: string, flags: GameDayFlags) => {
      if (flags.labDir) checkDirPath(flags.labDir, LAB_DIR_ROLE);
      if (flags.json) checkOutputFile(flags.json, '--json');
      if (flags.journal) checkOutputFile(flags.journal, '--journal');
      if (!(process.stdin.isTTY && process.stdout.isTTY)) {
        throw new UserError('A game day needs a person at a terminal (stdin or stdout is not a TTY), so nothing was run.', 'Run it in a terminal; for unattended runs (CI) use `pgdrill drill` or `pgdrill ci`.');
      }
      const scenario = await loadScenario(name);
      const { config, dir } = await loadRunConfig(flags.config, scenarioIds());
      const system = systemUnderDrill(config, dir);
      const where = await chooseTarget(flags, config);
      const operator = flags.operator ?? operatorName();
      const resume = flags.resume ? resumableGameDay(flags.resume, scenario, flags) : undefined;
      const journalPath = resume?.read.path ?? flags.journal ?? defaultJournalPath(`gameday-${scenario.id}`);
      const gameDay = new GameDay({ journalPath, operator, ...(resume ? { resume } : {}) });
      const controller = new AbortController();
      // Closes the screen once the drill is over (the operator may still be looking at the summary).
      const closeUi = new AbortController();
      const { runGameDayUi } = await importWithoutCiDetection(() => import('../../ui/run-guide-ui.tsx'));
      const lines: string[] = [];
      let ui: Promise<unknown> | undefined;
      const injectDelayMs = flags.surprise ? flags.surprise.minMs + Math.random() * (flags.surprise.maxMs - flags.surprise.minMs) : 0;
      const drill = runDrill(scenario, {
        ...where,
        variant: flags.variant,
        labDir: flags.labDir,
        holdMs: 0,
        system,
        objectives: config.objectives?.[scenario.id] ?? {},
        observeMs: flags.observe,
        injectDelayMs,
        resumingIncident: resume !== undefined,
        signal: controller.signal,
        // While the screen is up, progress lines would tear it: they are kept and printed after.
        log: (line) => (ui ? lines.push(line) : warn(`· ${line}`)),
        driver: {
          loadStarted: (load, clock) => {
            gameDay.loadStarted(load, clock);
            ui = runGameDayUi(gameDay, { signal: closeUi.signal }).then((exit) => {
              if (closeUi.signal.aborted) return;
              // Leaving before the alert (q, Ctrl-C), or Ctrl-C in the runbook, ends the game day: the drill stops and cleans up.
              if (gameDay.view().phase === 'steady' || exit.kind === 'interrupted') controller.abort(new Error('the operator ended the game day'));
            });
          },
          recover: (ctx) => gameDay.recover(ctx),
        },
      });
      // SIGHUP (a lost SSH connection) stops the drill through its cleanup stack, as SIGINT and SIGTERM do; then pgdrill dies of it.
      let hungUp = false;
      const releaseSignals = holdTerminalSignals(() => {
        hungUp = true;
        controller.abort(new Error('the terminal hung up (SIGHUP)'));
      });
      let result: DrillResult;
      let record: DrillRecord;
      try {
        record = await drill;
        result = record.result;
      } finally {
        gameDay.stop();
        closeUi.abort();
        await ui;
        releaseSignals();
      }
      if (hungUp) {
        gameDay.finish('the terminal hung up (SIGHUP): the game day was stopped and cleaned up', gameDayRecordData({ ...result, mode: 'gameday', operator }, record));
        // Die of the signal itself: process.exit would try to restore the lost terminal's settings.
        process.kill(process.pid, 'SIGHUP');
        return;
      }
      for (const line of lines) warn(`· ${line}`);
      const gameDayResult: DrillResult = withGap({ ...result, mode: 'gameday', operator, ttaMs: gameDay.ttaMs, alertAtMs: gameDay.alertAtMs }, gameDay.gap);
      gameDay.finish(`${gameDayResult.status}: RTO ${gameDayResult.rtoMs === null ? 'not recovered' : formatDuration(gameDayResult.rtoMs)}, ${gameDayResult.lostWrites} acknowledged writes lost`, gameDayRecordData(gameDayResult, record));
      printDrillResult(gameDayResult);
      const ttd = gameDay.alertAtMs !== null && result.t0Ms !== null ? gameDay.alertAtMs - result.t0Ms : null;
      say(`game day: operator ${operator}; alert ${ttd === null ? 'never fired' : `${formatDuration(ttd)} after the fault`}; acknowledged ${gameDay.ttaMs === null ? 'never' : `${formatDuration(gameDay.ttaMs)} after the alert`}`);
      for (const s of gameDayResult.steps) say(`  ${s.id.padEnd(28)} ${s.status.padEnd(11)} by ${s.by ?? 'pgdrill'}${s.durationMs ? ` in ${formatDuration(s.durationMs)}` : ''}`);
      const historyFile = defaultHistoryFile();
      const comparison = compareWithRobot(gameDayResult, readHistory(historyFile).entries);
      if (comparison) say(comparison);
      say(`Journal: ${journalPath}`);
      if (flags.json) writeJsonReport(flags.json, gameDayResult);
      if (flags.history !== false && gameDayResult.status !== 'error') appendHistory(historyFile, [gameDayResult]);
      setExit(controller.signal.aborted && result.status === 'error' ? ExitCode.interrupted : exitCodeOf(result.status));
    });
}
