import type { Command } from 'commander';
import { loadScenario, runbookIds, scenarioIds } from '../../engine/catalog.ts';
import { formatObjective } from '../../report/format.ts';
import { say } from '../output.ts';

/** `pgdrill list`: every scenario with its objectives, and every runbook. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the scenarios (with their objectives) and runbooks')
    .action(async () => {
      say('Scenarios:');
      for (const id of scenarioIds()) {
        const s = await loadScenario(id);
        const variants = Object.keys(s.variants ?? {});
        say(`  ${id.padEnd(24)} RTO ${formatObjective(s.objectives.rtoMs).padEnd(8)} RPO ${formatObjective(s.objectives.rpoMs).padEnd(8)} ${s.title}${variants.length ? ` (variants: ${variants.join(', ')})` : ''}`);
      }
      say('Runbooks:');
      for (const id of runbookIds()) say(`  ${id}`);
    });
}
