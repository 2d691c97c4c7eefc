import os from 'node:os';
import { UserError, errorMessage } from '../core/errors.ts';
import type { Runbook, StepCapability } from '../core/runbook.ts';
import type { Target } from '../core/target.ts';
import { openStepContext } from '../engine/step-context.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import type { JournalRead } from '../journal/journal-reader.ts';
import { JournalWriter } from '../journal/journal-writer.ts';
import type { SessionMode } from '../journal/records.ts';
import { Lab } from '../lab/lab.ts';
import { findPgBinaries, type PgBinaries } from '../lab/pg-binaries.ts';
import { CleanupStack } from '../util/cleanup.ts';
import { SessionClock } from './session-clock.ts';
import { GuideSession, type SessionListener } from './session.ts';
import { foldRecords, type SessionState } from './session-state.ts';
import { UrlTarget } from './url-target.ts';
import type { RdsTarget } from '../rds/rds-target.ts';
import { urlPoolerConsole, type PoolerConsole } from '../pooler/admin-console.ts';
import { discardSideClusters, sideClustersIn } from './session-side-clusters.ts';

/** Where a guided session acts: the lab (default) or an existing server by URL. */
export type GuideTargetSpec = { kind: 'lab'; labDir?: string } | { kind: 'url'; url: string } | { kind: 'rds'; target: RdsTarget };

/** How to open a guided session. */
export interface GuideSessionOptions {
  runbook: Runbook;
  target: GuideTargetSpec;
  /** PgBouncer's admin console URL (`--pooler-url`); a lab target uses the lab's own PgBouncer when it runs one. */
  poolerUrl?: string;
  /** A new journal's path (a new session). */
  journalPath?: string;
  /** A journal read back to resume (then `journalPath` is ignored). */
  resume?: JournalRead;
  mode: SessionMode;
  allowDestructive: boolean;
  operator?: string;
  /** Subscribed before the session-start or session-resume record is written, so it sees every record. */
  listener?: SessionListener;
  /** Progress lines for a person (lab start and stop). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The system the runbook's steps act on (its database and table); default the sample's. */
  system?: SystemUnderDrill;
}

/** An open session, and what closes it: `close` ends it (if it is still open) and undoes everything the opening did. */
export interface OpenedSession {
  session: GuideSession;
  target: Target;
  /** True when this session started the lab (and will stop it when it closes). */
  startedLab: boolean;
  /** Aborted when a signal (SIGINT, SIGTERM) started the cleanup. */
  signal: AbortSignal;
  /**
   * Ends the session in the journal if still open, closes connections and
   * the journal, stops a lab it started. Side clusters its steps recorded
   * are stopped and removed when the session finished or when
   * `discardSideClusters` says so (the operator quit with Q, or
   * --discard-side-clusters); otherwise they are kept for a resume. Returns
   * cleanup failures.
   */
  close(outcome?: 'quit' | 'interrupted' | 'stopped', detail?: string, options?: { discardSideClusters?: boolean }): Promise<string[]>;
}

/** A journal's state, checked against the runbook and target it is resumed with. */
export function checkResumable(read: JournalRead, runbook: Runbook): SessionState {
  const state = foldRecords(read.records);
  if (state.runbook.id !== runbook.id) {
    throw new UserError(`The journal ${read.path} is a session of the runbook "${state.runbook.id}", not "${runbook.id}".`, `Resume it with \`pgdrill guide ${state.runbook.id} --resume ${read.path}\`.`);
  }
  const journalSteps = state.steps.map((s) => s.id).join(',');
  const runbookSteps = runbook.steps.map((s) => s.id).join(',');
  if (journalSteps !== runbookSteps) {
    throw new UserError(
      `The runbook "${runbook.id}" changed since the journal ${read.path} was written (its steps were ${journalSteps}; they are now ${runbookSteps}).`,
      'Finish the incident with a new session (`pgdrill guide` without --resume), and keep the old journal for the report.',
    );
  }
  return state;
}

/** The PostgreSQL client binaries, found on first use (a target that never runs psql needs none installed). */
export function lazyBinaries(env: NodeJS.ProcessEnv): PgBinaries {
  let found: PgBinaries | undefined;
  const get = () => (found ??= findPgBinaries(env));
  return {
    get bindir() { return get().bindir; },
    get major() { return get().major; },
    get foundBy() { return get().foundBy; },
    bin: (name) => get().bin(name),
  };
}

/**
 * Opens a guided session: brings the lab up when the target is the lab (and
 * remembers whether this session started it), opens the step connections
 * and the journal (new, or reopened to resume, a cut-short last line
 * repaired), and writes the session-start or session-resume record. While it
 * is open, SIGINT and SIGTERM end the session in the journal (a running step
 * stopped and recorded as interrupted); the command then closes the session
 * and exits 130 or 143.
 */
export async function openGuideSession(options: GuideSessionOptions): Promise<OpenedSession> {
  const env = options.env ?? process.env;
  const cleanup = new CleanupStack();
  try {
    // The journal is checked before anything starts.
    const resumedState: SessionState | undefined = options.resume ? checkResumable(options.resume, options.runbook) : undefined;
    let target: Target;
    let binaries: PgBinaries;
    let lab: Lab | undefined;
    let startedLab = false;
    const missing: StepCapability[] = ['link', 'serviceUrl', 'service'];
    if (options.target.kind === 'lab') {
      const l = new Lab({ labDir: options.target.labDir, log: options.log, env });
      lab = l;
      cleanup.defer('stop the lab if this session started it', async () => { await l.releaseEphemeral(); });
      startedLab = (await l.up('ephemeral')).started;
      target = l;
      binaries = l.pg();
    } else if (options.target.kind === 'rds') {
      target = options.target.target;
      binaries = lazyBinaries(env);
      missing.push('lab');
    } else {
      target = new UrlTarget(options.target.url, env);
      binaries = lazyBinaries(env);
      missing.push('lab');
    }
    if (resumedState && options.resume) {
      if (resumedState.target.name !== target.name) {
        throw new UserError(
          `The journal ${options.resume.path} was recorded against ${resumedState.target.name}; this session would act on ${target.name}.`,
          `Resume with the same target as the first session (${resumedState.target.kind === 'lab' ? 'the same --lab-dir' : resumedState.target.kind === 'rds' ? `--target rds:${resumedState.target.name}` : 'the same --url'}).`,
        );
      }
    }
    let pooler: PoolerConsole | undefined;
    if (options.poolerUrl) pooler = urlPoolerConsole(options.poolerUrl);
    else if (lab?.pooler?.isRunning()) pooler = lab.pooler;
    if (!pooler) missing.push('pooler');
    const contexts = openStepContext({ target, binaries, ...(lab ? { lab } : {}), ...(pooler ? { pooler } : {}), ...(options.system ? { system: options.system } : {}) });
    cleanup.defer('close the runbook connections', () => contexts.close());
    const journal = options.resume ? JournalWriter.reopen(options.resume) : JournalWriter.create(options.journalPath ?? '');
    cleanup.defer('close the journal', () => journal.close());
    const clock = new SessionClock(resumedState ? Date.parse(resumedState.startedAt) : Date.now());
    const session = new GuideSession({
      runbook: options.runbook,
      target,
      contexts,
      journal,
      clock,
      missing,
      allowDestructive: options.allowDestructive,
      identity: { operator: options.operator ?? operatorName(env), host: os.hostname(), pid: process.pid, mode: options.mode },
    });
    // A signal ends the session at once: the running step is stopped (its processes and queries too) and
    // recorded as interrupted, then the session end; the command's flow then closes everything.
    cleanup.onInterrupt((signal) => void session.end('interrupted', `pgdrill received ${signal}`).catch(() => {}));
    // Registered last, so it runs first: the journal says how the session ended before anything closes.
    cleanup.defer('end the session in the journal', () => session.end('interrupted', 'pgdrill received a signal (SIGINT or SIGTERM)'));
    if (options.listener) session.subscribe(options.listener);
    if (resumedState) session.resume(resumedState, options.resume?.truncatedTail);
    else session.start();
    return {
      session,
      target,
      startedLab,
      signal: cleanup.signal,
      async close(outcome = 'quit', detail, closeOptions = {}) {
        await session.end(outcome, detail);
        const failures: string[] = [];
        const records = sideClustersIn(session.state.memory);
        if (lab && records.length > 0 && (session.state.finished || closeOptions.discardSideClusters)) {
          try {
            for (const dir of await discardSideClusters(lab, records, options.log)) options.log?.(`Side cluster ${dir} stopped and removed.`);
          } catch (error) {
            failures.push(`removing the session's side clusters: ${errorMessage(error)} (\`pgdrill lab down\` stops them)`);
          }
        }
        return [...failures, ...(await cleanup.dispose())];
      },
    };
  } catch (error) {
    await cleanup.dispose();
    throw error;
  }
}

/** Who the operator is: PGDRILL_OPERATOR, else the login name. */
export function operatorName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGDRILL_OPERATOR) return env.PGDRILL_OPERATOR;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}
