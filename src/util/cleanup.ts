import { errorMessage } from '../core/errors.ts';
import { outsideScope, stopAllWork, WorkScope } from './work-scope.ts';

/** After a signal, the command's own flow has this long to stop its work, clean up and write its results. */
const FORCE_EXIT_MS = 60_000;
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;
type HandledSignal = keyof typeof SIGNAL_NUMBERS;

const liveStacks = new Set<CleanupStack>();
let received: HandledSignal | undefined;
let handlersInstalled = false;

/** The signal (SIGINT or SIGTERM) that interrupted this process, if one did. */
export function interruptedBy(): HandledSignal | undefined {
  return received;
}

/** The exit code for the signal that interrupted this process (130 SIGINT, 143 SIGTERM), if one did. */
export function interruptExitCode(): number | undefined {
  return received ? 128 + SIGNAL_NUMBERS[received] : undefined;
}

/**
 * SIGINT and SIGTERM while a cleanup stack is alive: every live stack's
 * signal is aborted (work in progress stops: steps, restores, checks), every
 * child process and query pgdrill runs is stopped, and the command's own
 * flow goes on to its end: cleanup, results and journal written, exit code
 * 128 + the signal. A watchdog ends the process if that flow hangs. Further
 * signals meanwhile are ignored (the watchdog bounds the wait).
 */
function onSignal(signal: HandledSignal): void {
  if (received) return;
  received = signal;
  const code = 128 + SIGNAL_NUMBERS[signal];
  const watchdog = setTimeout(() => {
    process.stderr.write(`pgdrill: cleanup after ${signal} did not finish within ${FORCE_EXIT_MS / 1000} s; exiting.\n`);
    const bounded = new Promise((r) => setTimeout(r, 15_000).unref());
    void Promise.race([Promise.all([...liveStacks].map((s) => s.dispose())), bounded]).finally(() => process.exit(code));
  }, FORCE_EXIT_MS);
  watchdog.unref();
  for (const stack of liveStacks) stack.interrupt(signal);
  void stopAllWork();
}

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of Object.keys(SIGNAL_NUMBERS) as HandledSignal[]) process.on(signal, () => onSignal(signal));
}

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
 * returned so that cleanup always finishes. While a stack is alive, SIGINT
 * and SIGTERM abort its `signal` (and run its `onInterrupt` callbacks)
 * instead of ending the process: the owner's flow stops its work, disposes
 * the stack and writes its results; the exit code is then 130 or 143
 * (`interruptExitCode`).
 */
export class CleanupStack {
  private readonly disposers: Disposer[] = [];
  private running: Promise<string[]> | undefined;
  private readonly abortController = new AbortController();
  private readonly interruptCallbacks: Array<(signal: HandledSignal) => void> = [];
  /** Aborted as soon as cleanup begins or a signal arrives: work in progress should stop. */
  readonly signal: AbortSignal = this.abortController.signal;

  constructor(private readonly stepTimeoutMs = 15_000) {
    installSignalHandlers();
    liveStacks.add(this);
    if (received) this.interrupt(received);
  }

  /** Runs `fn` in a work scope of this stack: its child processes and queries stop when the stack's signal aborts. */
  scope<T>(fn: () => Promise<T>): Promise<T> {
    return new WorkScope(this.signal).run(fn);
  }

  /** Calls `fn` when a signal interrupts the process while this stack is alive. */
  onInterrupt(fn: (signal: HandledSignal) => void): void {
    this.interruptCallbacks.push(fn);
  }

  /** A signal arrived: abort the work in progress (the owner's flow then disposes the stack). */
  interrupt(signal: HandledSignal): void {
    if (!this.abortController.signal.aborted) this.abortController.abort(new Error(`interrupted by ${signal}`));
    for (const fn of this.interruptCallbacks.splice(0)) {
      try {
        fn(signal);
      } catch {
        // a callback's failure must not stop the others
      }
    }
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
          // Outside any work scope: the abort that led here must not stop the cleanup's own commands.
          outsideScope(() => Promise.resolve().then(entry.dispose)),
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
    liveStacks.delete(this);
    return failures;
  }
}
