import { z } from 'zod';
import type { ProxyLink } from '../faults/proxy-link.ts';
import type { Lab } from '../lab/lab.ts';
import type { DrillLab, StandbyCluster } from '../lab/cluster.ts';
import type { PoolerConsole } from '../pooler/admin-console.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import { hasErrorBrand, UserError } from './errors.ts';
import type { Target } from './target.ts';

/** Rows a SQL step got back, as plain objects. */
export type Rows = Array<Record<string, unknown>>;

/**
 * What a runbook step may use while it runs. Outside a drill (a guided
 * session against a real server) `link` and `serviceUrl` are absent: steps
 * that need them say what a person must do instead.
 */
/**
 * What the steps of one session hand to each other (the bad transaction
 * found, the side cluster made), by key. Values are JSON: in a guided
 * session every `set` and `clear` is written to the journal before it takes
 * effect, and a resumed session (after a quit, a crash, kill -9) gets the
 * same values back. Never put a secret in it: the journal is not secret.
 */
export interface SessionMemory {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  clear(key: string): void;
}

/** A session memory that lives in this process only (drills: one per drill). */
export function inProcessMemory(): SessionMemory {
  const values = new Map<string, unknown>();
  return {
    get: <T>(key: string) => values.get(key) as T | undefined,
    set: (key, value) => void values.set(key, JSON.parse(JSON.stringify(value)) as unknown),
    clear: (key) => void values.delete(key),
  };
}

export interface StepContext {
  target: Target;
  /** What earlier steps of this session handed on (journaled in a guided session; see `SessionMemory`). */
  memory: SessionMemory;
  /** Runs SQL as the target's superuser, directly (never through the fault proxy). */
  sql(database: string, text: string, params?: unknown[]): Promise<Rows>;
  /** Runs a program (no shell) with the target's libpq environment; resolves with stdout. */
  exec(file: string, args: string[]): Promise<string>;
  /**
   * Runs a shell text exactly as written (zx's `$`), with the target's libpq
   * environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), the
   * PostgreSQL client programs first on PATH, and SERVICE_URL in a drill;
   * each line of its stdout is the step's output as it arrives; resolves with
   * stdout, rejects with zx's `ProcessOutput`. This is how a step's
   * `{ kind: 'shell' }` command runs.
   */
  shell(text: string): Promise<string>;
  /** Finds a PostgreSQL client program (psql, pg_isready, ...) in the lab's binaries. */
  pgBin(name: string): string;
  /** The lab's network path from the service to the database (drills only). */
  link?: ProxyLink;
  /** The service's base URL (drills only). */
  serviceUrl?: string;
  /** The service under drill itself, to restart it (drills only). */
  service?: SupervisedService;
  /** The system under drill (drills only): its database, ledger table and health path. */
  system?: SystemUnderDrill;
  /** The lab, when the target is the lab (its data directory, archive, binaries). */
  lab?: Lab;
  /** The lab the target is (embedded or in containers): base backups, restores, its replica; absent for another target. */
  drillLab?: DrillLab;
  /** The lab's streaming replica, when it has one (the embedded lab's or a container). */
  replica?: StandbyCluster;
  /**
   * PgBouncer's admin console, when a pooler is in the service's path (a
   * drill with the pooler, a lab with one, or `guide --pooler-url`).
   */
  pooler?: PoolerConsole;
  /** One line of the step's output (shown live, kept in the journal). */
  output(line: string): void;
  /** Aborted when the drill or session is interrupted. */
  signal: AbortSignal;
}

/**
 * The parts of a step context that only a drill provides. A guided session
 * against a live server has no fault proxy and no sample service (and a
 * `url` target has no lab).
 */
export type StepCapability = 'link' | 'serviceUrl' | 'service' | 'lab' | 'pooler';

/**
 * Thrown when a step touches a part of its context that this session does
 * not have (see `StepCapability`): the step cannot act by itself here, and a
 * person must follow its `manual` instructions instead. It means "not
 * available on this target", never "the recovery failed"; the engine does
 * not retry it.
 */
export class StepUnavailableError extends Error {
  readonly capability: StepCapability;
  constructor(capability: StepCapability, message: string) {
    super(message);
    this.name = 'StepUnavailableError';
    this.capability = capability;
  }
}

/** The outcome of a verification: whether the condition holds, and what was seen. */
export interface Verification {
  ok: boolean;
  detail: string;
}

/** What a step will run, shown to the operator before it runs. */
export type StepCommand =
  | { kind: 'sql'; database: string; text: string }
  | { kind: 'shell'; text: string }
  | { kind: 'action'; text: string };

/**
 * One step of a runbook. A step explains itself (`why`, `expect`), may run
 * something (`run`, described by `command` so the operator sees it first),
 * may verify a condition that gates progress (`verify`, polled until it
 * holds or `timeoutMs` passes), may be `manual` (instructions for a person
 * when no automatic action exists for the target), and may be `destructive`
 * (then a guided session asks for the typed name of what it touches).
 */
export interface RunbookStep {
  /** Unique within the runbook, kebab-case. */
  id: string;
  title: string;
  /** Why this step matters, for someone doing this for the first time. */
  why: string;
  /** What the operator should expect to see. */
  expect: string;
  /** What will run, shown first. A `sql` command with no `run` is what the step runs (its rows become output). */
  command?: StepCommand;
  run?: (ctx: StepContext) => Promise<void>;
  verify?: (ctx: StepContext) => Promise<Verification>;
  /** Bound on the whole step, run and verification included; default 60 s. */
  timeoutMs?: number;
  /** How often a failing verification is retried; default 250 ms. */
  verifyIntervalMs?: number;
  /** Instructions for a person, when the step cannot act by itself on this target. */
  manual?: string;
  /** Set when the step changes or removes data or processes. */
  destructive?: { touches: string };
}

/**
 * A recovery procedure: ordered steps written in TypeScript. The same object
 * is run unattended by drills and shown step by step by a guided session.
 */
export interface Runbook {
  /** Registry id, kebab-case, matching the file name in `runbooks/`. */
  id: string;
  title: string;
  /** When to use this runbook, one paragraph. */
  summary: string;
  steps: RunbookStep[];
}

/**
 * True when the engine can do something for this step by itself: its own
 * `run()` or `verify()`, a SQL command with its database, or a shell
 * command (both run exactly as shown). A step without any is for a person,
 * from its `manual` instructions.
 */
export function stepRunsItself(step: Pick<RunbookStep, 'run' | 'verify' | 'command'>): boolean {
  return Boolean(step.run || step.verify || (step.command?.kind === 'sql' && step.command.database) || step.command?.kind === 'shell');
}

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, dashes)');

const StepSchema = z
  .object({
    id: kebab,
    title: z.string().min(1),
    why: z.string().min(1),
    expect: z.string().min(1),
    command: z
      .object({ kind: z.enum(['sql', 'shell', 'action']), database: z.string().optional(), text: z.string().min(1) })
      .optional(),
    run: z.function().optional(),
    verify: z.function().optional(),
    timeoutMs: z.number().int().positive().optional(),
    verifyIntervalMs: z.number().int().positive().optional(),
    manual: z.string().min(1).optional(),
    destructive: z.object({ touches: z.string().min(1) }).optional(),
  })
  .refine((s) => s.manual || stepRunsItself(s as Pick<RunbookStep, 'run' | 'verify' | 'command'>), {
    message: 'a step needs run, verify, a SQL command (with its database), a shell command or manual instructions',
  })
  // What the operator is shown is what runs: a SQL or shell command is executed as shown, so a step with its own
  // run() must describe that work as an action instead.
  .refine((s) => !((s.command?.kind === 'sql' || s.command?.kind === 'shell') && s.run), {
    message: "a step with run() cannot show a 'sql' or 'shell' command: the command shown is what runs; drop run() or describe the work as kind 'action'",
  });

/** A runbook's shape, as `defineRunbook` checks it (also inside a scenario). */
export const RunbookSchema = z
  .object(
    {
      id: kebab,
      title: z.string().min(1),
      summary: z.string().min(1),
      steps: z.array(StepSchema).min(1),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'expected a runbook: an object with id, title, summary and steps (defineRunbook({...}))' : undefined) },
  )
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    for (const [i, step] of r.steps.entries()) {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      seen.add(step.id);
    }
  });

/**
 * Formats zod issues as one readable line each: the field path, then what
 * was expected ("missing: expected string" for a field left out).
 */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const message = i.message.replace(/^Invalid input: expected (.+), received undefined$/, 'missing: expected $1').replace(/^Invalid input: /, '');
    return `${i.path.length ? i.path.join('.') : '(root)'}: ${message}`;
  });
}

/** Formats zod issues as one line. */
export function describeIssues(error: z.ZodError): string {
  return issueLines(error).join('; ');
}

/** What is wrong with a runbook definition, one line per problem; empty when it is valid. */
export function runbookProblems(runbook: unknown): string[] {
  const parsed = RunbookSchema.safeParse(runbook);
  return parsed.success ? [] : issueLines(parsed.error);
}

/** The id a definition claims, for messages about it (it may be anything). */
function claimedId(definition: unknown): string {
  const id = (definition as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? id : '?';
}

/** The next step for a bad definition (of a file, when known). */
export function definitionFix(kind: 'scenario' | 'runbook', where?: string): string {
  return `Fix the ${kind}${where ? ` in ${where}` : ''}: it must be \`export default define${kind === 'scenario' ? 'Scenario' : 'Runbook'}({...})\` with the fields the README lists.`;
}

/**
 * An invalid scenario or runbook definition: a `UserError` that keeps each
 * problem (field path: what was expected), so that a loader can name the
 * file it came from.
 */
const DEFINITION_ERROR = Symbol.for('pgdrill.DefinitionError');

export class DefinitionError extends UserError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasErrorBrand(value, DEFINITION_ERROR);
  }
  readonly kind: 'scenario' | 'runbook';
  readonly problems: readonly string[];
  constructor(kind: 'scenario' | 'runbook', definition: unknown, problems: readonly string[], where?: string) {
    const heading = where ? `The ${kind} in ${where} is invalid:` : `The ${kind} "${claimedId(definition)}" is invalid:`;
    // Compiler style, one problem a line: file, field path, what was expected.
    super(`${heading}\n${problems.map((p) => `  ${where ? `${where}: ` : ''}${p}`).join('\n')}`, definitionFix(kind, where));
    this.kind = kind;
    this.problems = problems;
    Object.defineProperty(this, DEFINITION_ERROR, { value: true });
  }
}

/**
 * Validates a runbook definition and returns it unchanged. An invalid one
 * throws a `DefinitionError` naming every problem, before anything runs.
 */
export function defineRunbook(runbook: Runbook): Runbook {
  const problems = runbookProblems(runbook);
  if (problems.length > 0) throw new DefinitionError('runbook', runbook, problems);
  return runbook;
}
