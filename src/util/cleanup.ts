import { asyncExitHook } from 'exit-hook';
import { errorMessage } from '../core/errors.ts';

/** One thing to undo: a label for reports and the function that undoes it. */
interface Disposer {
  label: string;
  dispose: () => Promise<void> | void;
}

/**
 * A stack of things the harness opened (processes, servers, ports, temp
 * dirs, connections) and must close on success, failure, SIGINT and SIGTERM.
 *
 * `defer` pushes an undo action; `dispose` runs them all, newest first, each
 * bounded by `stepTimeoutMs`, and never throws: failures are collected and
 * returned so that cleanup always finishes. While a stack is alive it is
 * hooked to process exit (through exit-hook), so a signal runs the same
 * cleanup before the process ends.
 */
export class CleanupStack {
  private readonly disposers: Disposer[] = [];
  private unhook: (() => void) | undefined;
  private running: Promise<string[]> | undefined;
  private readonly abortController = new AbortController();
  /** Aborted as soon as cleanup begins (a signal arrived, or the work is done): work in progress should stop. */
  readonly signal: AbortSignal = this.abortController.signal;

  constructor(private readonly stepTimeoutMs = 15_000) {
    this.unhook = asyncExitHook(async () => {
      await this.dispose();
    }, { wait: 30_000 });
  }

  /** Registers an undo action; returns a function that runs it early (once). */
  defer(label: string, dispose: () => Promise<void> | void): () => Promise<void> {
    const entry: Disposer = { label, dispose };
    this.disposers.push(entry);
    return async () => {
      const i = this.disposers.indexOf(entry);
      if (i < 0) return;
      this.disposers.splice(i, 1);
      await entry.dispose();
    };
  }

  /** Runs every undo action, newest first. Returns the failures, one line each. */
  dispose(): Promise<string[]> {
    if (!this.abortController.signal.aborted) this.abortController.abort(new Error('cleanup started'));
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<string[]> {
    const failures: string[] = [];
    while (this.disposers.length > 0) {
      const entry = this.disposers.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(entry.dispose),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
          }),
        ]);
      } catch (error) {
        failures.push(`${entry.label}: ${errorMessage(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
    this.unhook?.();
    this.unhook = undefined;
    return failures;
  }
}
