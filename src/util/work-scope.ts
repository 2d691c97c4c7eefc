import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import { isProcessAlive } from './process-alive.ts';
import { descendantsOf } from './process-tree.ts';

/** How long a process tree has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** A running piece of work that can be stopped: a child process or a query. */
interface Work {
  stop: () => Promise<void>;
}

/**
 * The work one unit (a runbook step, a command's flow) started: every child
 * process spawned and every query running inside it (through the async call
 * chain, with AsyncLocalStorage), so that aborting its signal really stops
 * it: child processes are killed with their process tree, queries are
 * cancelled. Nothing has to pass a signal down through library functions.
 */
export class WorkScope {
  private readonly work = new Set<Work>();
  private stopping: Promise<void> | undefined;

  constructor(readonly signal: AbortSignal) {
    if (signal.aborted) this.stopping = Promise.resolve();
    else signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Runs `fn` inside this scope: what it spawns or queries belongs to it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return storage.run(this, fn);
  }

  add(item: Work): () => void {
    this.work.add(item);
    return () => { this.work.delete(item); };
  }

  /** Stops everything running in the scope (once); resolves when it is stopped. */
  stop(): Promise<void> {
    this.stopping ??= Promise.all([...this.work].map((w) => w.stop().catch(() => {}))).then(() => undefined);
    return this.stopping;
  }
}

const storage = new AsyncLocalStorage<WorkScope>();
/** Every piece of work running in the process (cleanup's own excepted): a signal stops them all. */
const everywhere = new Set<Work>();
/** The scope cleanup runs in: never aborted, and a signal does not stop its commands (they undo what was started). */
const cleanupScope = new WorkScope(new AbortController().signal);

/** The scope the caller runs in, if any. */
export function currentScope(): WorkScope | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` outside the caller's work scope, as cleanup: it must not be
 * stopped by the abort it follows, nor by a signal arriving while it runs.
 */
export function outsideScope<T>(fn: () => T): T {
  return storage.run(cleanupScope, fn);
}

/** The reason to refuse new work: the current scope was aborted. */
export function abortedScopeReason(): unknown {
  const scope = storage.getStore();
  return scope?.signal.aborted ? (scope.signal.reason ?? new Error('aborted')) : undefined;
}

/** Throws the abort reason when the current scope was aborted (for loops that wait on something untracked). */
export function throwIfScopeAborted(): void {
  const reason = abortedScopeReason();
  if (reason !== undefined) throw reason;
}

function register(item: Work): () => void {
  const scope = storage.getStore();
  if (scope !== cleanupScope) everywhere.add(item);
  const leave = scope?.add(item);
  if (scope?.signal.aborted) void item.stop().catch(() => {});
  return () => {
    everywhere.delete(item);
    leave?.();
  };
}

/**
 * Sends `signal` to a process and everything under it, then SIGKILL after a
 * grace period to whatever is still alive. Resolves when they are gone (or
 * after the grace period plus a little when they cannot be killed).
 */
export async function killTree(pid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  const pids = [pid, ...descendantsOf(pid)];
  const send = (sig: NodeJS.Signals, which: number[]) => {
    for (const p of which) {
      try {
        process.kill(p, sig);
      } catch {
        // gone already, or not ours
      }
    }
  };
  // Children first stopped, so that a parent does not restart or report them.
  send('SIGTERM', pids);
  const until = performance.now() + graceMs;
  while (performance.now() < until && pids.some(isProcessAlive)) await new Promise((r) => setTimeout(r, 50));
  const left = pids.filter(isProcessAlive);
  if (left.length === 0) return;
  send('SIGKILL', [...left, ...left.flatMap((p) => descendantsOf(p))]);
  const hard = performance.now() + 1_000;
  while (performance.now() < hard && left.some(isProcessAlive)) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Registers a spawned child in the current scope (and the process-wide set)
 * until it exits. Aborting the scope kills it with its process tree; a child
 * spawned in a scope already aborted is killed at once.
 */
export function trackChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  let exited = false;
  const item: Work = {
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
      await killTree(pid);
      // The 'close' event comes once its pipes are closed too; do not wait for ever on a grandchild holding them.
      await Promise.race([gone, new Promise((r) => setTimeout(r, 1_000))]);
    },
  };
  const leave = register(item);
  child.once('exit', () => {
    exited = true;
    leave();
  });
}

/**
 * Registers a running query in the current scope until `done` is called:
 * `cancel` stops it (pg_cancel_backend, or closing its connection).
 */
export function trackQuery(cancel: () => Promise<void>): () => void {
  return register({ stop: cancel });
}

/** Stops every child and query running anywhere in the process (a signal arrived). */
export async function stopAllWork(): Promise<void> {
  await Promise.all([...everywhere].map((w) => w.stop().catch(() => {})));
}
