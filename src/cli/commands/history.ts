import Table from 'cli-table3';
import type { Command } from 'commander';
import { formatDuration, formatObjective } from '../../report/format.ts';
import { defaultHistoryFile, readHistory } from '../../suite/history.ts';
import { say, warn } from '../output.ts';
import { parsePositiveInt } from '../parse.ts';
import { maxOf } from '../../util/numbers.ts';
import { commandSummary } from '../command-table.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values (null = no recovery, drawn as "×"). */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const max = maxOf(known, 1);
  return values.map((v) => (v === null ? '×' : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join('');
}

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
        say(`No history${flags.scenario ? ` for ${flags.scenario}` : ''} in ${file}. \`pgdrill ci\` records one entry per scenario per run.`);
        return;
      }
      const byScenario = new Map<string, typeof wanted>();
      for (const e of wanted) {
        const key = e.variant ? `${e.scenario} (${e.variant})` : e.scenario;
        byScenario.set(key, [...(byScenario.get(key) ?? []), e]);
      }
      for (const [scenario, list] of byScenario) {
        const recent = list.slice(-flags.last);
        say(`${scenario}  RTO trend ${sparkline(recent.map((e) => e.rtoMs))}  (objective ${formatObjective(recent.at(-1)!.objectives.rtoMs)})`);
        const table = new Table({ head: ['when', 'status', 'RTO', 'lost writes', 'RPO'], chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, style: { head: [], border: [] } });
        for (const e of recent) table.push([e.at.replace('T', ' ').slice(0, 19), e.status, formatDuration(e.rtoMs), String(e.lostWrites), formatDuration(e.rpoMs)]);
        say(table.toString());
      }
    });
}
