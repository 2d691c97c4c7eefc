import type { Command } from 'commander';
import { catalogSummary } from '../../engine/catalog-summary.ts';
import { formatObjective } from '../../report/format.ts';
import { say } from '../output.ts';
import { commandSummary } from '../command-table.ts';

/** `pgdrill list`: every scenario with its objectives, and every runbook. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description(commandSummary('list'))
    .action(async () => {
      const catalog = await catalogSummary();
      say('Scenarios:');
      for (const s of catalog.scenarios) {
        say(`  ${s.id.padEnd(24)} RTO ${formatObjective(s.rtoMs).padEnd(8)} RPO ${formatObjective(s.rpoMs).padEnd(8)} ${s.title}${s.variants.length ? ` (variants: ${s.variants.join(', ')})` : ''}`);
      }
      say('Runbooks:');
      for (const id of catalog.runbooks) say(`  ${id}`);
    });
}
