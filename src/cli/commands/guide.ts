import { interruptedBy } from '../../util/cleanup.ts';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import type { Runbook } from '../../core/runbook.ts';
import { loadRunbook, scenarioIds } from '../../engine/catalog.ts';
import { loadRunConfig } from '../../config/config.ts';
import { systemUnderDrill } from '../../system/system.ts';
import { parseRdsTarget } from '../../rds/describe-instance.ts';
import { openRdsGuide } from '../../rds/rds-plan.ts';
import { parseToTime } from '../../rds/restore-plan.ts';
import { checkResumable, openGuideSession, type GuideTargetSpec, type OpenedSession } from '../../guide/open-session.ts';
import { lineReporter, runPlain } from '../../guide/plain-runner.ts';
import { describeStepLines } from '../../guide/step-text.ts';
import { summaryLines } from '../../guide/summary.ts';
import { defaultJournalPath } from '../../journal/journal-path.ts';
import { describeTruncatedTail, readJournal, type JournalRead } from '../../journal/journal-reader.ts';
import { LAB_DIR_ROLE } from '../../lab/lab-dir.ts';
import { checkDirPath, checkOutputFile } from '../../util/safe-dir.ts';
import { reportFailure, say, warn } from '../output.ts';
import { holdTerminalSignals } from '../terminal-signals.ts';
import { commandSummary } from '../command-table.ts';
import { importWithoutCiDetection } from '../load-ui.ts';


interface GuideFlags {
  target?: string;
  url?: string;
  poolerUrl?: string;
  labDir?: string;
  journal?: string;
  resume?: string;
  yes?: boolean;
  confirm?: string;
  allowDestructive?: boolean;
  dryRun?: boolean;
  discardSideClusters?: boolean;
  operator?: string;
  config?: string;
  region?: string;
  toTime?: string;
}

const quote = (arg: string) => (/^[\w./:@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);

function targetOf(flags: GuideFlags): Exclude<GuideTargetSpec, { kind: 'rds' }> {
  const kind = flags.target ?? (flags.url ? 'url' : 'lab');
  if (kind !== 'lab' && kind !== 'url') throw new UserError(`--target ${kind} is not a target pgdrill guide knows.`, 'Use --target lab (the default), --target rds:<instance id> for an RDS instance, or --url postgres://user:password@host:port/database for an existing server.');
  if (kind === 'lab') {
    if (flags.url) throw new UserError('--target lab and --url name two different targets.', 'Give one: --target lab (the default) or --url postgres://...');
    return { kind: 'lab', ...(flags.labDir ? { labDir: checkDirPath(flags.labDir, LAB_DIR_ROLE) } : {}) };
  }
  if (!flags.url) throw new UserError('--target url needs --url postgres://user:password@host:port/database.', 'Add --url, or leave --target out to use the lab.');
  if (flags.labDir) throw new UserError('--lab-dir applies to the lab, not to a --url target.', 'Leave --lab-dir out, or drop --url to use the lab.');
  return { kind: 'url', url: flags.url };
}

function resumeCommand(runbookArg: string, journal: string, flags: GuideFlags): string {
  const parts = ['pgdrill guide', quote(runbookArg), '--resume', quote(journal)];
  if (flags.labDir) parts.push('--lab-dir', quote(flags.labDir));
  if (flags.target?.startsWith('rds:')) parts.push('--target', quote(flags.target), ...(flags.region ? ['--region', quote(flags.region)] : []), ...(flags.toTime ? ['--to-time', quote(flags.toTime)] : []));
  if (flags.url) parts.push('--url', "'<the same URL>'");
  if (flags.poolerUrl) parts.push('--pooler-url', "'<the same URL>'");
  if (flags.allowDestructive) parts.push('--allow-destructive');
  return parts.join(' ');
}

function printRunbook(runbook: Runbook): void {
  say(`pgdrill guide: ${runbook.id} (${runbook.title})`);
  say(runbook.summary);
  for (const [i, step] of runbook.steps.entries()) for (const line of describeStepLines(step, i, runbook.steps.length)) say(line);
}

/** What a resume found, for the first message on screen. */
function resumeMessage(read: JournalRead, opened: OpenedSession): string {
  const state = opened.session.state;
  const parts: string[] = [];
  const current = state.steps[state.current];
  if (current?.status === 'interrupted') parts.push(`Resumed: step ${state.current + 1} ${current.id} was running when pgdrill stopped: it did not finish; Enter runs it again.`);
  else parts.push(`Resumed at step ${state.current + 1}${current ? ` ${current.id}` : ''}.`);
  parts.push(`The journal's ${read.records.length} records are intact.`);
  if (read.truncatedTail) parts.push(describeTruncatedTail(read.truncatedTail));
  return parts.join(' ');
}

/**
 * `pgdrill guide <runbook>`: the operator's guided recovery. In a terminal,
 * the Ink UI; without one, plain lines, automatic steps only with --yes,
 * stopping when a person is needed. Exit codes: 0 the session finished
 * (every step done or skipped with a reason), or the operator quit with `q`
 * (the journal is kept; resume later); 1 a harness failure, a bad flag, or a
 * session without a terminal that needs a person; 130 Ctrl-C or SIGINT, 143
 * SIGTERM, 129 SIGHUP (the journal records the interruption).
 */
export function registerGuide(program: Command, setExit: (code: number) => void): void {
  program
    .command('guide')
    .description(commandSummary('guide'))
    .argument('<runbook>', 'runbook id (see `pgdrill list`) or path to a runbook .ts file')
    .option('--target <kind>', 'where to act: lab (default), url (with --url), or rds:<instance id> (through the RDS API)')
    .option('--region <region>', 'AWS region of --target rds:<id> (default: the AWS default chain)')
    .option('--to-time <time>', 'accidental-deletion on --target rds:<id>: restore to this moment (ISO 8601, e.g. 2026-03-05T03:11:00Z)')
    .option('--url <url>', 'act on an existing server: postgres://user:password@host:port/database')
    .option('--pooler-url <url>', "PgBouncer's admin console for the pooler runbooks: postgres://user:password@host:6432/pgbouncer")
    .option('--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)')
    .option('--journal <file>', 'journal file (default: .pgdrill/journals/<runbook>-<time>.jsonl)')
    .option('--resume <file>', 'continue the session of this journal where it stopped')
    .option('-y, --yes', 'without a terminal: run the automatic steps (stops at a step that needs a person)')
    .option('--confirm <name>', 'without a terminal: confirm destructive steps by giving the target name they ask for')
    .option('--allow-destructive', 'allow destructive steps on a target other than the lab')
    .option('--discard-side-clusters', 'when the session ends, finished or not, stop and remove the side clusters its steps restored (default: kept for --resume until the session finishes)')
    .option('--dry-run', 'print every step and what it would run, without running anything')
    .option('--operator <name>', 'who is at the keyboard (default: $PGDRILL_OPERATOR or the login name)')
    .option('--config <file>', "act on the config's system (its database and ledger table) instead of the sample's; read only when given")
    .addHelpText(
      'after',
      [
        '',
        'Keys: Enter run the step (or mark a manual step done), s skip (asks for a reason), r retry a failed step,',
        'n add a note, ? keys, q quit (the journal is kept: continue with --resume).',
        '',
        'Exit codes: 0 the session finished (every step done or skipped with a reason) or you quit with q;',
        '1 the harness failed, a bad flag, or a session without a terminal stopped at a step that needs a person;',
        '130 Ctrl-C or SIGINT, 143 SIGTERM, 129 SIGHUP (the journal records the interruption).',
      ].join('\n'),
    )
    .action(async (runbookArg: string, flags: GuideFlags) => {
      const rds = flags.target?.startsWith('rds:') ? await openRdsFromFlags(runbookArg, flags) : undefined;
      try {
        await guide(runbookArg, flags, setExit, rds);
      } finally {
        rds?.close();
      }
    });
}

/** `--target rds:<id>`: the instance opened read-only and the RDS variant of the runbook. */
async function openRdsFromFlags(runbookArg: string, flags: GuideFlags): Promise<Awaited<ReturnType<typeof openRdsGuide>>> {
  if (flags.labDir) throw new UserError('--lab-dir applies to the lab, not to --target rds:<id>.', 'Leave --lab-dir out.');
  if (flags.poolerUrl) throw new UserError('--pooler-url is not used by the RDS runbooks.', 'Leave --pooler-url out.');
  const instanceId = parseRdsTarget(flags.target ?? '');
  return openRdsGuide({
    instanceId,
    runbookId: runbookArg,
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.url ? { url: flags.url } : {}),
    ...(flags.toTime ? { toTime: parseToTime(flags.toTime) } : {}),
  });
}

async function guide(runbookArg: string, flags: GuideFlags, setExit: (code: number) => void, rds: Awaited<ReturnType<typeof openRdsGuide>> | undefined): Promise<void> {
  if (!rds && (flags.region || flags.toTime)) throw new UserError(`${flags.region ? '--region' : '--to-time'} applies to --target rds:<instance id>.`, 'Add --target rds:<id>, or leave it out.');
  const runbook = rds ? rds.runbook : await loadRunbook(runbookArg);
  if (flags.dryRun) {
    printRunbook(runbook);
    say(rds ? `Nothing was run (--dry-run): only read-only calls were made (DescribeDBInstances, ListTagsForResource${runbook.id === 'primary-failover' ? '' : ', DescribeDBInstanceAutomatedBackups'}); the RDS calls above are exactly what the session would send.` : 'Nothing was run (--dry-run).');
    if (rds && !rds.target.drillAllowed && !flags.allowDestructive) say(`The destructive steps would be refused: ${rds.target.name} is not tagged pgdrill:drill=allowed and --allow-destructive was not given.`);
    return;
  }
  const target: GuideTargetSpec = rds ? { kind: 'rds', target: rds.target } : targetOf(flags);
  // Only when asked for: an incident session must not depend on a CI config in the working directory.
  const system = flags.config ? await loadRunConfig(flags.config, scenarioIds()).then((r) => systemUnderDrill(r.config, r.dir)) : undefined;
  if (flags.journal && flags.resume) throw new UserError('--journal and --resume both name a journal.', 'Use --resume FILE to continue a session (it appends to FILE), or --journal FILE to start a new one.');
  if (flags.journal) checkOutputFile(flags.journal, '--journal');
  const prior = flags.resume ? readJournal(flags.resume) : undefined;
  if (prior) {
    const state = checkResumable(prior, runbook);
    if (state.finished) {
      for (const line of summaryLines(state)) say(line);
      say(`This session already finished; there is nothing to resume. \`pgdrill report ${quote(prior.path)}\` writes its timeline.`);
      return;
    }
  }
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!interactive && !flags.yes) {
    printRunbook(runbook);
    throw new UserError(
      'There is no terminal to guide an operator (stdin or stdout is not a TTY), so nothing was run.',
      'Pass --yes to run the automatic steps without one (the session stops at the first step that needs a person), or --dry-run to only print the steps.',
    );
  }
  const journalPath = prior?.path ?? flags.journal ?? defaultJournalPath(runbook.id);
  const journalShown = path.resolve(journalPath);
  const opened = await openGuideSession({
    runbook,
    target,
    ...(flags.poolerUrl ? { poolerUrl: flags.poolerUrl } : {}),
    journalPath,
    ...(prior ? { resume: prior } : {}),
    mode: interactive ? 'interactive' : 'plain',
    allowDestructive: Boolean(flags.allowDestructive),
    ...(flags.operator ? { operator: flags.operator } : {}),
    log: (line) => warn(`· ${line}`),
    ...(system ? { system } : {}),
    ...(interactive ? {} : { listener: lineReporter({ runbook, journalPath: journalShown }, say) }),
  });
  const resume = resumeCommand(runbookArg, opened.session.journalPath, flags);
  // SIGHUP (a lost SSH connection) ends the session as SIGINT and SIGTERM do, then pgdrill dies of it.
  const releaseSignals = holdTerminalSignals(() => {
    void opened.close('interrupted', 'the terminal hung up (SIGHUP)').finally(() => {
      // Die of the signal itself: process.exit would try to restore the lost terminal's settings (and abort).
      releaseSignals();
      process.kill(process.pid, 'SIGHUP');
    });
  });
  let code: number = ExitCode.ok;
  let closing: 'quit' | 'interrupted' | 'stopped' = 'interrupted';
  let discardSideClusters = flags.discardSideClusters === true;
  try {
    if (interactive) {
      const { runGuideUi } = await importWithoutCiDetection(() => import('../../ui/run-guide-ui.tsx'));
      const exit = await runGuideUi(opened.session, { signal: opened.signal, ...(prior ? { initialMessage: resumeMessage(prior, opened) } : {}) });
      if (exit.kind === 'error') {
        reportFailure(exit.error);
        code = ExitCode.harnessFailed;
        closing = 'interrupted';
      } else if (exit.kind === 'interrupted') {
        code = ExitCode.interrupted;
        closing = 'interrupted';
      } else if (exit.kind === 'quit' && exit.discard) {
        discardSideClusters = true;
      }
    } else {
      const outcome = await runPlain(opened.session, { resumeCommand: resume, signal: opened.signal, ...(flags.confirm !== undefined ? { confirm: flags.confirm } : {}) });
      if (interruptedBy()) {
        closing = 'interrupted';
      } else if (outcome.stopReason) {
        warn(`pgdrill: ${outcome.stopReason}`);
        code = ExitCode.harnessFailed;
        closing = 'stopped';
      }
    }
  } finally {
    releaseSignals();
    const failures = await opened.close(closing, undefined, { discardSideClusters });
    for (const failure of failures) warn(`cleanup failed: ${failure}`);
  }
  const state = opened.session.state;
  if (state.finished) {
    say(`Journal: ${opened.session.journalPath}`);
    say(`Incident report: pgdrill report ${quote(opened.session.journalPath)} > incident.md`);
  } else if (interactive) {
    say(`Session paused; the journal ${opened.session.journalPath} is kept. Continue with: ${resume}`);
  }
  setExit(code);
}
