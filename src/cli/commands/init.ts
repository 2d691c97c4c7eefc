import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { guessConfig } from '../../config/init-config.ts';
import { say } from '../output.ts';
import { commandSummary } from '../command-table.ts';

/** `pgdrill init`: writes a commented pgdrill.config.ts for the repository in the working directory. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(commandSummary('init'))
    .option('--force', 'overwrite an existing pgdrill.config.ts')
    .action((flags: { force?: boolean }) => {
      const dir = process.cwd();
      const file = path.join(dir, 'pgdrill.config.ts');
      if (existsSync(file) && !flags.force) throw new UserError(`${file} already exists.`, 'Edit it, or run `pgdrill init --force` to replace it.');
      const guess = guessConfig(dir);
      try {
        writeFileSync(file, guess.text);
      } catch (error) {
        throw new UserError(`Could not write ${file}: ${(error as Error).message}.`, 'Run pgdrill init in a directory you can write to.');
      }
      say(`Wrote ${file}.`);
      say('Guessed:');
      for (const line of guess.guessed) say(`  - ${line}`);
      say('Fill in:');
      for (const line of guess.todo) say(`  - ${line}`);
      say('Then: npx pgdrill drill connection-loss');
    });
}
