import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/command-table.ts';
import { repoRoot, runCli } from '../helpers/run-cli.ts';

const commandsDir = path.join(repoRoot, 'src/cli/commands');

describe('the command table (lazy loading) names every command module', () => {
  it('has one entry per file in src/cli/commands, and each module describes its command from the table', () => {
    const files = readdirSync(commandsDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(files);
    for (const file of files) expect(readFileSync(path.join(commandsDir, `${file}.ts`), 'utf8'), file).toContain(`commandSummary('${file}')`);
  });

  it('each entry loads a module that registers exactly that command', async () => {
    const { Command } = await import('commander');
    for (const entry of COMMANDS) {
      const program = new Command();
      (await entry.load())(program, () => {});
      expect(program.commands.map((c) => c.name()), entry.name).toEqual([entry.name]);
    }
  });

  it('--help lists every command of the table; `help <command>` shows that command', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const entry of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${entry.name}\\b`, 'm'));
    const one = await runCli(['help', 'check']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/Usage: pgdrill check/);
  });
});
