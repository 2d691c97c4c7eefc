import { labBackupRoot } from '../backup/lab-backups.ts';
import { UserError, describeError } from '../core/errors.ts';
import { scenarioIds } from '../engine/catalog.ts';
import { UrlTarget } from '../guide/url-target.ts';
import { Lab } from '../lab/lab.ts';
import { defaultHistoryFile } from '../suite/history.ts';
import { redact, registerSecret } from '../util/redact.ts';
import { readRdsCheckFacts, type RdsCheckFacts } from '../rds/check-facts.ts';
import { openRdsClient } from '../rds/rds-client.ts';
import { CheckSkipped } from './check.ts';
import { CheckConnections, SESSION_FACTS_SQL, sessionFactsFromRow, type CheckContext } from './context.ts';
import { seedSystem, type CheckedSystem } from './system.ts';

/** Where `pgdrill check` looks: the lab (default) or `url`, with an optional pooler admin URL and history file. */
export interface CheckTargetOptions {
  url?: string;
  labDir?: string;
  pooler?: string;
  historyFile?: string;
  /** The system to compare against; default the seed's (a config will supply its own). */
  system?: CheckedSystem;
  now?: Date;
  /** An RDS instance to read through the RDS API (`--rds`), alone or beside `url`. */
  rds?: { id: string; region?: string; env?: NodeJS.ProcessEnv };
}

/**
 * Opens the read-only context the checks run in: connects once (a server
 * that does not answer is a `UserError`, exit 1), probes who it is and what
 * it may see. On the lab it connects as the lab's superuser and never
 * starts the lab; with a URL, as the URL's user. `close` ends every
 * connection.
 */
export async function openCheckContext(options: CheckTargetOptions): Promise<{ ctx: CheckContext; close: () => Promise<void> }> {
  const rds = options.rds ? await readRdsForCheck(options.rds) : undefined;
  if (rds && options.rds && !options.url) return { ctx: rdsOnlyContext(options, options.rds.id, rds), close: async () => {} };
  let connections: CheckConnections;
  let target: CheckContext['target'];
  let backupRoot: string | null = null;
  if (options.url) {
    const t = new UrlTarget(options.url);
    connections = new CheckConnections((db) => t.adminUrl(db), t.database);
    target = { kind: 'url', name: options.rds ? `${t.name} (RDS ${options.rds.id})` : t.name };
  } else {
    const lab = new Lab({ labDir: options.labDir });
    if (!(await lab.isRunning())) {
      throw new UserError(`The lab in ${lab.labDir} is not running: pgdrill check reads a running server and never starts one.`, 'Run `pgdrill lab up` first, or check another server with --url.');
    }
    connections = new CheckConnections((db) => lab.adminUrl(db), 'postgres');
    target = { kind: 'lab', name: lab.name };
    backupRoot = labBackupRoot(lab);
  }
  let pooler: CheckContext['pooler'] = null;
  if (options.pooler) {
    let parsed: URL;
    try {
      parsed = new URL(options.pooler);
    } catch {
      throw new UserError('The --pooler value is not a connection URL.', 'Write it as postgres://user:password@host:6432/pgbouncer (PgBouncer\'s admin console).');
    }
    registerSecret(decodeURIComponent(parsed.password));
    pooler = { adminUrl: options.pooler };
  }
  let row: Record<string, unknown> | undefined;
  try {
    [row] = await connections.query(null, SESSION_FACTS_SQL);
  } catch (error) {
    await connections.close();
    throw new UserError(`Could not connect to ${target.name} to check it: ${redact(describeError(error))}`, options.url ? 'Check the --url (host, port, user, password, database) and that the server accepts this connection.' : 'Check the lab with `pgdrill lab status`.');
  }
  const ctx: CheckContext = {
    target,
    session: sessionFactsFromRow(row ?? {}),
    system: options.system ?? seedSystem(),
    pooler,
    backupRoot,
    historyFile: options.historyFile ?? defaultHistoryFile(),
    scenarioIds: scenarioIds(),
    now: options.now ?? new Date(),
    query: (db, sql, params) => connections.query(db, sql, params),
    ...(rds ? { rds } : {}),
  };
  return { ctx, close: () => connections.close() };
}

async function readRdsForCheck(rds: NonNullable<CheckTargetOptions['rds']>): Promise<RdsCheckFacts> {
  const client = openRdsClient({ ...(rds.region ? { region: rds.region } : {}), ...(rds.env ? { env: rds.env } : {}) });
  try {
    return await readRdsCheckFacts(client, rds.id);
  } finally {
    client.destroy();
  }
}

/**
 * The context of `check --rds` without `--url`: only the RDS API was read;
 * every SQL query is a skip saying --url would let the check run.
 */
function rdsOnlyContext(options: CheckTargetOptions, id: string, rds: RdsCheckFacts): CheckContext {
  return {
    target: { kind: 'rds', name: `RDS ${id}` },
    session: { user: 'AWS credentials (default chain)', database: '', superuser: false, pgMonitor: false, readAllStats: false, readAllSettings: false, connectionSsl: false, serverVersionNum: 0 },
    system: options.system ?? seedSystem(),
    pooler: null,
    backupRoot: null,
    historyFile: options.historyFile ?? defaultHistoryFile(),
    scenarioIds: scenarioIds(),
    now: options.now ?? new Date(),
    query: () => Promise.reject(new CheckSkipped('no SQL connection: give --url (this instance\'s connection URL) beside --rds')),
    rds,
  };
}
