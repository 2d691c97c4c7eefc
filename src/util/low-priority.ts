import path from 'node:path';
import { findOnPath } from './find-on-path.ts';

let ionicePath: string | null | undefined;

/**
 * Wraps a command so that it runs in the background of the machine: at the
 * lowest CPU priority (`nice -n 19`) and, where `ionice` exists (Linux), in
 * the idle I/O class, which only the BFQ scheduler honours (elsewhere it is
 * harmless). Every process the command starts inherits both: a PostgreSQL
 * server started this way runs all its backends at that priority.
 * Returns the program and arguments to spawn instead of `file`/`args`.
 */
export function lowPriority(file: string, args: readonly string[]): { file: string; args: string[] } {
  if (ionicePath === undefined) ionicePath = findOnPath('ionice') ?? null;
  const inner = ionicePath ? [ionicePath, '-c', '3', file, ...args] : [file, ...args];
  return { file: 'nice', args: ['-n', '19', ...inner] };
}

/** `lowPriority` when `background` is set, else the command unchanged. */
export function maybeLowPriority(background: boolean | undefined, file: string, args: readonly string[]): { file: string; args: string[] } {
  return background ? lowPriority(file, args) : { file, args: [...args] };
}

/** The program a command line runs, past a `lowPriority` prefix: `nice -n 19 ionice -c 3 /x/pg_amcheck --all` → `pg_amcheck`. */
export function programName(commandLine: string): string {
  const words = commandLine.replace(/^nice -n 19 (?:\S*ionice -c 3 )?/, '').split(' ');
  return path.basename(words[0] ?? commandLine);
}
