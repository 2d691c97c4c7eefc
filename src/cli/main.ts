import { Command, CommanderError } from 'commander';
import { UserError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { COMMANDS, type CommandEntry } from './command-table.ts';
import { reportFailure } from './output.ts';
import { interruptExitCode } from '../util/cleanup.ts';

/** The command `args` run (`help <command>` counts as that command), when it is one of the table's. */
function requestedCommand(args: string[]): CommandEntry | undefined {
  const [first, second] = args;
  const name = first === 'help' ? second : first;
  return COMMANDS.find((c) => c.name === name);
}

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
    // EIO: the terminal itself is gone (a lost SSH connection); the command finishes its cleanup without it.
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
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
  // Only the module of the command being run is loaded; `--help` alone lists every command from the table.
  const wanted = requestedCommand(argv.slice(2));
  if (wanted) (await wanted.load())(program, (code) => { exitCode = code; });
  else for (const entry of COMMANDS) program.command(entry.name).description(entry.summary);
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

