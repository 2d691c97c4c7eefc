import { spawn } from 'node:child_process';
import { CommandError } from '../core/errors.ts';
import { abortedScopeReason, killTree, trackChild } from './work-scope.ts';

/** How to run one external command. */
export interface RunCommandOptions {
  /** Run as this OS user (uid/gid); needs root. */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command with its process tree after this long; default 120 s. */
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
}

/** What a successful command printed. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs a command without a shell and resolves with its output, or rejects
 * with a `CommandError` carrying the command, exit code, signal, the end of
 * stderr and the duration. Never leaves the child running: a timeout kills
 * it, and so does aborting the work scope it runs in (with its process tree;
 * in a scope already aborted it is not started).
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
  const started = performance.now();
  const display = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const aborted = abortedScopeReason();
    if (aborted !== undefined) {
      reject(new CommandError({ command: display, exitCode: null, signal: null, stderrTail: `not started: ${aborted instanceof Error ? aborted.message : String(aborted)}`, durationMs: 0 }));
      return;
    }
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => void (child.pid === undefined ? child.kill('SIGKILL') : killTree(child.pid, 0)), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CommandError({ command: display, exitCode: null, signal: null, stderrTail: error.message, durationMs: performance.now() - started }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const durationMs = performance.now() - started;
      if (code === 0) resolve({ stdout, stderr, durationMs });
      else reject(new CommandError({ command: display, exitCode: code, signal, stderrTail: stderr.slice(-2000) || stdout.slice(-2000), durationMs }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
