import type { ProcessOutput } from 'zx';
import { abortedScopeReason, trackChild } from './work-scope.ts';

/** How to run one shell text. */
export interface ShellTextOptions {
  /** The whole environment the shell sees (not merged with pgdrill's own). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each line of standard output as it arrives (the last line too, without its newline). */
  onLine?: (line: string) => void;
}

/**
 * Runs `text` exactly as written through zx's `$` (bash when present, with
 * zx's `set -euo pipefail` prefix; no interpolation: the text is the
 * command a runbook shows), and resolves with its standard output. A
 * failure rejects with zx's `ProcessOutput` (exit code, stdout, stderr):
 * `describeError` reports it as a command failure, never as a harness bug.
 * The shell and everything it starts belong to the current work scope:
 * aborting the step kills the whole process tree. zx is imported on first
 * use, so commands that never run a shell step do not load it.
 */
export async function runShellText(text: string, options: ShellTextOptions): Promise<string> {
  const aborted = abortedScopeReason();
  if (aborted !== undefined) throw aborted;
  const { $ } = await import('zx');
  const pieces = Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray;
  const shell = $({ env: options.env, cwd: options.cwd, quiet: true, verbose: false, halt: true })(pieces);
  shell.run();
  if (shell.child) trackChild(shell.child);
  const { onLine } = options;
  let pending = '';
  if (onLine) {
    shell.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  const flush = () => {
    if (onLine && pending) onLine(pending);
    pending = '';
  };
  try {
    const output: ProcessOutput = await shell;
    return output.stdout;
  } finally {
    flush();
  }
}

/** True for zx's `ProcessOutput` error (a shell text that failed). */
export function isShellFailure(error: unknown): error is Error & { exitCode: number | null; signal: string | null; stderr: string; stdout: string; duration: number } {
  return error instanceof Error && typeof (error as { stderr?: unknown }).stderr === 'string' && typeof (error as { stdall?: unknown }).stdall === 'string' && 'exitCode' in error;
}
