import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { isProcessAlive } from '../../src/util/process-alive.ts';

/** True when tmux can be run here (CI installs it; elsewhere the terminal tests are skipped, saying why). */
export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * A program running in a real pseudo-terminal (a detached tmux session on
 * its own tmux server): keys in, screen out. The pane stays after the
 * program exits, so its last screen and exit status can be read.
 */
export class Terminal {
  private static count = 0;
  readonly socket = `pgdrill-test-${process.pid}-${++Terminal.count}`;
  private readonly name = 'guide';

  private readonly statusFile: string;

  constructor(command: string[], options: { cwd: string; cols?: number; rows?: number }) {
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    this.statusFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pgdrill-test-tmux-')), 'status');
    // A shell runs the program and writes its exit status (128 + N when signal N killed it) for exitStatus().
    const line = `${command.map(quote).join(' ')}; echo $? > ${quote(this.statusFile)}`;
    this.tmux('new-session', '-d', '-s', this.name, '-x', String(options.cols ?? 120), '-y', String(options.rows ?? 40), '-c', options.cwd, line, ';', 'set-option', '-t', this.name, 'remain-on-exit', 'on');
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Keys by tmux name: Enter, Escape, C-c, or single characters. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Text typed as is. */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** The visible screen, trailing spaces removed. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name).split('\n').map((l) => l.trimEnd()).join('\n');
  }

  /** The screen and the lines scrolled above it. */
  history(): string {
    return this.tmux('capture-pane', '-p', '-S', '-200', '-t', this.name);
  }

  /** Waits until the screen matches, and returns it. */
  async waitFor(pattern: RegExp | string, timeout = 20_000): Promise<string> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    await expect.poll(() => this.screen(), { timeout, interval: 100 }).toMatch(re);
    return this.screen();
  }

  /** The program's exit status once it has exited (waits for it); 128 + N when signal N killed it. */
  async exitStatus(timeout = 20_000): Promise<number> {
    const read = () => (existsSync(this.statusFile) ? readFileSync(this.statusFile, 'utf8').trim() : '');
    await expect.poll(read, { timeout, interval: 100 }).toMatch(/^\d+$/);
    return Number(read());
  }

  /** The processes in the pane: the shell and the program it runs. */
  private processes(): number[] {
    const shell = Number(this.tmux('display-message', '-p', '-t', this.name, '#{pane_pid}').trim());
    const children = spawnSync('pgrep', ['-P', String(shell)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    return [shell, ...children];
  }

  /**
   * Ends the session and its tmux server: a program still running gets
   * SIGHUP (a lost terminal) and is waited for while it cleans up, then
   * killed if it has not exited within `timeout`.
   */
  async close(timeout = 20_000): Promise<void> {
    let pids: number[];
    try {
      pids = this.processes();
      this.tmux('kill-server');
    } catch {
      return; // already gone
    }
    const deadline = Date.now() + timeout;
    while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(isProcessAlive)) process.kill(pid, 'SIGKILL');
    rmSync(path.dirname(this.statusFile), { recursive: true, force: true });
  }
}
