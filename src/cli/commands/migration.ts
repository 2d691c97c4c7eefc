import type { Command } from 'commander';
import { ExitCode } from '../../core/exit-codes.ts';
import { lintMigrations } from '../../migrations/lint.ts';
import { lintText } from '../../migrations/lint-text.ts';
import { commandSummary } from '../command-table.ts';
import { say } from '../output.ts';

/** `pgdrill migration lint <paths...>`: judge migration SQL against PostgreSQL's locking facts and the seed's dangerous list. */
export function registerMigration(program: Command, setExitCode: (code: number) => void): void {
  const migration = program.command('migration').description(commandSummary('migration'));
  migration
    .command('lint')
    .description('for each statement: the lock it takes, whether it rewrites the table or can lose data, and the safe form; exit 2 when a dangerous statement has no `-- pgdrill: allow <rule>` comment before it')
    .argument('<paths...>', 'migration .sql files, or directories (a Prisma project, prisma/migrations, a migrations folder)')
    .option('--json', 'print the result as JSON: { files, statements: [{ file, line, sql, judgements, allowed, blocking, notes }], blocked }')
    .action(async (paths: string[], flags: { json?: boolean }) => {
      const report = await lintMigrations(paths);
      if (flags.json) say(JSON.stringify(report, null, 2));
      else for (const line of lintText(report)) say(line);
      setExitCode(report.blocked > 0 ? ExitCode.objectiveBreached : ExitCode.ok);
    });
}
