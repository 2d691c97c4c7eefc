import type { Command } from 'commander';
import { catalogSummary } from '../../engine/catalog-summary.ts';
import { formatObjective } from '../../report/format.ts';
import { say } from '../output.ts';
import { commandSummary } from '../command-table.ts';
import { lackingCapabilities, type DrillTargetKind } from '../../lab/cluster.ts';
import { targetParser } from '../target-options.ts';

/** `pgdrill list`: every scenario with its objectives, and every runbook. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description(commandSummary('list'))
    .option('--target <target>', 'say which scenarios run on this target (lab or docker) and why the others are skipped', targetParser())
    .action(async (flags: { target?: DrillTargetKind }) => {
      const catalog = await catalogSummary();
      say(flags.target ? `Scenarios on the ${flags.target === 'docker' ? 'Docker' : 'embedded lab'} target:` : 'Scenarios:');
      for (const s of catalog.scenarios) {
        const skipped = flags.target ? lackingCapabilities(s, flags.target) : undefined;
        if (flags.target) say(`  ${skipped ? 'skipped' : 'runs   '} ${s.id.padEnd(24)} ${skipped ? skipped.replace(/^The scenario "[^"]+" needs /, 'needs ') : s.title}`);
        else say(`  ${s.id.padEnd(24)} RTO ${formatObjective(s.rtoMs).padEnd(8)} RPO ${formatObjective(s.rpoMs).padEnd(8)} ${s.title}${s.variants.length ? ` (variants: ${s.variants.join(', ')})` : ''}`);
      }
      say('Runbooks:');
      for (const id of catalog.runbooks) say(`  ${id}`);
    });
}
