import Table from 'cli-table3';
import type { Command } from 'commander';
import { formatDuration, formatObjective } from '../../report/format.ts';
import { defaultHistoryFile, readHistory } from '../../suite/history.ts';
import { say, warn } from '../output.ts';
import { parsePositiveInt } from '../parse.ts';
import { sparkline } from '../../report/sparkline.ts';
import { commandSummary } from '../command-table.ts';

/** `pgdrill history`: each scenario's measured RTO and RPO over time. */
export function registerHistory(program: Command): void {
  program
    .command('history')
    .description(commandSummary('history'))
    .option('--file <file>', 'history file (default: .pgdrill/history.jsonl)')
    .option('--scenario <id>', 'only this scenario')
    .option('--last <n>', 'runs per scenario to show', parsePositiveInt, 10)
    .action((flags: { file?: string; scenario?: string; last: number }) => {
      const file = flags.file ?? defaultHistoryFile();
      const { entries, skipped } = readHistory(file);
      if (skipped) warn(`· ${skipped} unreadable line(s) in ${file} were skipped`);
      const wanted = entries.filter((e) => !flags.scenario || e.scenario === flags.scenario);
      if (wanted.length === 0) {
        say(`No history${flags.scenario ? ` for ${flags.scenario}` : ''} in ${file}. \`pgdrill ci\` and \`pgdrill gameday\` record one entry per scenario per run.`);
        return;
      }
      const byScenario = new Map<string, typeof wanted>();
      for (const e of wanted) {
        // Game days (a person recovered) and unattended runs are different measurements: never one trend.
        const key = `${e.variant ? `${e.scenario} (${e.variant})` : e.scenario}${e.mode === 'gameday' ? ' · game days' : ''}`;
        byScenario.set(key, [...(byScenario.get(key) ?? []), e]);
      }
      for (const [scenario, list] of byScenario) {
        const recent = list.slice(-flags.last);
        say(`${scenario}  RTO trend ${sparkline(recent.map((e) => e.rtoMs))}  (objective ${formatObjective(recent.at(-1)!.objectives.rtoMs)})`);
        const gameDays = recent.some((e) => e.mode === 'gameday');
        const table = new Table({ head: ['when', 'status', 'RTO', 'lost writes', 'RPO', ...(gameDays ? ['operator'] : [])], chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, style: { head: [], border: [] } });
        for (const e of recent) table.push([e.at.replace('T', ' ').slice(0, 19), e.status, formatDuration(e.rtoMs), String(e.lostWrites), formatDuration(e.rpoMs), ...(gameDays ? [e.operator ?? ''] : [])]);
        say(table.toString());
      }
    });
}
