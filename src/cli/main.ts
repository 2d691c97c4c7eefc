import { Command, CommanderError } from 'commander';
import { UserError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { registerBackup } from './commands/backup.ts';
import { registerCi } from './commands/ci.ts';
import { registerDrill } from './commands/drill.ts';
import { registerGuide } from './commands/guide.ts';
import { registerHistory } from './commands/history.ts';
import { registerInit } from './commands/init.ts';
import { registerLab } from './commands/lab.ts';
import { registerList } from './commands/list.ts';
import { registerProxy } from './commands/proxy.ts';
import { registerRestore } from './commands/restore.ts';
import { registerReport } from './commands/report.ts';
import { reportFailure } from './output.ts';
import { interruptExitCode } from '../util/cleanup.ts';

/**
 * pgdrill's command line. Returns the exit code: 0 objectives met, 2 an
 * objective breached, 1 the harness failed (bad flags, bad definitions,
 * unreachable databases, bugs). Commands never render React; the guided UI
 * (when present) is a separate layer.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let commanderSpoke = false;
  // A reader that stopped reading (`pgdrill lab status | head -3`) is no failure: the command finishes without it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const program = new Command()
    .name('pgdrill')
    .description('PostgreSQL disaster-recovery harness: rehearse recovery, measure RTO and RPO, gate CI on them.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (text) => {
        commanderSpoke = true;
        process.stderr.write(text);
      },
    });
  registerDrill(program, (code) => { exitCode = code; });
  registerCi(program, (code) => { exitCode = code; });
  registerHistory(program);
  registerInit(program);
  registerLab(program);
  registerList(program);
  registerProxy(program);
  registerGuide(program, (code) => { exitCode = code; });
  registerReport(program);
  registerBackup(program, (code) => { exitCode = code; });
  registerRestore(program);
  for (const command of program.commands) command.exitOverride();
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();

  try {
    await program.parseAsync(argv);
    // A signal (SIGINT, SIGTERM) stopped the work: the command finished its cleanup and results, and exits as interrupted.
    return interruptExitCode() ?? exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.ok;
      // Commander printed its own parse errors; one thrown by an action (InvalidArgumentError) it did not.
      if (!commanderSpoke) reportFailure(new UserError(error.message.replace(/^error: /, ''), 'Run the command with --help for its usage.'));
      return ExitCode.harnessFailed;
    }
    const interrupted = interruptExitCode();
    if (interrupted !== undefined) return interrupted;
    reportFailure(error);
    return ExitCode.harnessFailed;
  }
}

