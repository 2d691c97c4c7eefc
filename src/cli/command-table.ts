import type { Command } from 'commander';

/** How a command module adds its command to the program; `setExitCode` receives the exit code its action decides. */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

/**
 * One top-level command of the CLI: its name, the one line `--help` shows,
 * and how to load the module that registers it. Only the module of the
 * command being run is loaded (the top-level `--help` loads none), so a
 * command never pays for the dependencies of the others.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<RegisterCommand>;
}

/** Every top-level command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'drill', summary: 'run disaster scenarios unattended on the lab under load, and measure RTO and RPO', load: async () => (await import('./commands/drill.ts')).registerDrill },
  { name: 'ci', summary: 'run the drill suite for CI: every scenario (or those named) in fresh labs, judged against objectives, with reports', load: async () => (await import('./commands/ci.ts')).registerCi },
  { name: 'history', summary: "show each scenario's measured RTO and RPO over time, from the history `pgdrill ci` records", load: async () => (await import('./commands/history.ts')).registerHistory },
  { name: 'init', summary: 'write a commented pgdrill.config.ts for this repository (guesses the start script and the schema folder)', load: async () => (await import('./commands/init.ts')).registerInit },
  { name: 'lab', summary: "manage the local PostgreSQL lab (real PostgreSQL from this machine's binaries)", load: async () => (await import('./commands/lab.ts')).registerLab },
  { name: 'list', summary: 'list the scenarios (with their objectives) and runbooks', load: async () => (await import('./commands/list.ts')).registerList },
  { name: 'proxy', summary: 'the built-in Toxiproxy-compatible fault proxy', load: async () => (await import('./commands/proxy.ts')).registerProxy },
  { name: 'gameday', summary: 'a game day: a fault under load, and a person recovers it with the runbook while the clock runs (RTO, time to detect and acknowledge, data loss)', load: async () => (await import('./commands/gameday.ts')).registerGameDay },
  { name: 'guide', summary: 'walk an operator through a recovery runbook, step by step, timed and journaled', load: async () => (await import('./commands/guide.ts')).registerGuide },
  { name: 'report', summary: 'write the incident timeline of a guided session (its journal) as Markdown, for a postmortem', load: async () => (await import('./commands/report.ts')).registerReport },
  { name: 'backup', summary: 'take backups (base backup + dumps), list, prune, and verify them by a real restore', load: async () => (await import('./commands/backup.ts')).registerBackup },
  { name: 'check', summary: "audit a server against the seed's pre-production checklist (read-only): one line per check, pass/warn/fail/skip with the fix", load: async () => (await import('./commands/check.ts')).registerCheck },
  { name: 'migration', summary: 'lint migration SQL (files or Prisma migration folders): the lock each statement takes, table rewrites, data loss, the safe form; exit 2 on a dangerous statement without an override comment', load: async () => (await import('./commands/migration.ts')).registerMigration },
  { name: 'restore', summary: 'point-in-time recovery of the lab into a side cluster (newest usable base backup + archived WAL), then copy one table back or switch the lab to it', load: async () => (await import('./commands/restore.ts')).registerRestore },
];

/** The `--help` line of a top-level command (command modules describe themselves with it). */
export function commandSummary(name: string): string {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) throw new Error(`no command "${name}" in the command table`);
  return entry.summary;
}
