import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError, errorMessage } from '../../core/errors.ts';
import { describeTruncatedTail, readJournal } from '../../journal/journal-reader.ts';
import { renderIncidentReport } from '../../journal/incident-report.ts';
import { warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';

/** `pgdrill report <journal>`: a guided session's incident timeline as Markdown. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description(commandSummary('report'))
    .argument('<journal>', 'a journal written by `pgdrill guide` (.jsonl)')
    .option('-o, --output <file>', 'write the Markdown to this file instead of stdout')
    .action((journal: string, flags: { output?: string }) => {
      const read = readJournal(journal);
      const markdown = renderIncidentReport(read);
      if (read.truncatedTail) warn(`pgdrill: ${describeTruncatedTail(read.truncatedTail)}`);
      if (flags.output) {
        try {
          writeFileSync(flags.output, markdown);
        } catch (error) {
          throw new UserError(`Could not write the report to ${flags.output}: ${errorMessage(error)}.`, 'Choose a writable --output path, or leave it out to print to stdout.');
        }
        warn(`Incident report written to ${flags.output}.`);
      } else {
        process.stdout.write(markdown);
      }
    });
}
