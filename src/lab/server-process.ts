import { spawn } from 'node:child_process';
import { chownSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CommandError } from '../core/errors.ts';
import { maybeLowPriority } from '../util/low-priority.ts';
import { runCommand, type CommandOutput } from '../util/run-command.ts';
import { abortedScopeReason, killTree, trackChild } from '../util/work-scope.ts';
import type { ServerUser } from './server-user.ts';

/**
 * Runs a PostgreSQL server program (pg_ctl, initdb, postgres) as the
 * server's OS account: switched to it when pgdrill runs as root, with a
 * minimal environment (no libpq variables, no passwords), from `/`: PATH
 * and HOME are taken from `parentEnv` (default `process.env`), `env` is
 * added. Resolves with its output or rejects with a `CommandError`.
 */
export function runAsServer(user: ServerUser, file: string, args: string[], options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; parentEnv?: NodeJS.ProcessEnv } = {}): Promise<CommandOutput> {
  const parent = options.parentEnv ?? process.env;
  const env: NodeJS.ProcessEnv = { PATH: parent.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...options.env };
  env.HOME = user.switchFromRoot ? '/tmp' : (parent.HOME ?? '/tmp');
  return runCommand(file, args, {
    uid: user.switchFromRoot ? user.uid : undefined,
    gid: user.switchFromRoot ? user.gid : undefined,
    env,
    timeoutMs: options.timeoutMs ?? 120_000,
    input: options.input,
    cwd: '/',
  });
}

/** Gives `target` itself (a file, or a directory without its contents) to the server user (no-op unless pgdrill runs as root). */
export function chownToServer(user: ServerUser, target: string): void {
  if (user.switchFromRoot) chownSync(target, user.uid, user.gid);
}

/** Gives `target` and everything under it to the server user (no-op unless pgdrill runs as root). */
export function chownTreeToServer(user: ServerUser, target: string): void {
  if (!user.switchFromRoot) return;
  const walk = (p: string) => {
    chownSync(p, user.uid, user.gid);
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = path.join(p, e.name);
      if (e.isDirectory()) walk(child);
      else chownSync(child, user.uid, user.gid);
    }
  };
  walk(target);
}

/**
 * Copies a directory tree with `cp -a` (as fast as the disk allows, modes
 * and times kept; at the lowest priority with `background`). The
 * destination must not exist.
 */
export async function copyTree(from: string, to: string, timeoutMs = 3_600_000, background = false): Promise<number> {
  const cp = maybeLowPriority(background, 'cp', ['-a', '--', from, to]);
  const out = await runCommand(cp.file, cp.args, { timeoutMs });
  return out.durationMs;
}

/**
 * Runs a command and hands every line of its stderr (split on CR or LF, as
 * progress meters write) to `onLine` while it runs. Resolves with stdout.
 */
export function runWithProgress(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onLine?: (line: string) => void }): Promise<CommandOutput> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const aborted = abortedScopeReason();
    if (aborted !== undefined) {
      reject(new CommandError({ command: [file, ...args].join(' '), exitCode: null, signal: null, stderrTail: `not started: ${aborted instanceof Error ? aborted.message : String(aborted)}`, durationMs: 0 }));
      return;
    }
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
      pending += d;
      const parts = pending.split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) options.onLine?.(line.trim());
    });
    const timer = setTimeout(() => void (child.pid === undefined ? child.kill('SIGKILL') : killTree(child.pid, 0)), options.timeoutMs ?? 3_600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CommandError({ command: [file, ...args].join(' '), exitCode: null, signal: null, stderrTail: error.message, durationMs: performance.now() - started }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const durationMs = performance.now() - started;
      if (code === 0) return resolve({ stdout, stderr, durationMs });
      reject(new CommandError({ command: [file, ...args].join(' '), exitCode: code, signal, stderrTail: stderr.slice(-2000), durationMs }));
    });
  });
}
