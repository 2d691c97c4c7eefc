import pg from 'pg';
import { BugError, isServerError } from '../core/errors.ts';
import { CheckSkipped } from './check.ts';
import type { RdsCheckFacts } from '../rds/check-facts.ts';
import type { CheckedSystem } from './system.ts';

/**
 * A PgBouncer in front of the server, as a config or the lab declares it:
 * the URL of its admin console (database `pgbouncer`). Secret: the URL may
 * carry a password.
 */
export interface PoolerDeclaration {
  adminUrl: string;
}

/**
 * Who the checks connect as and what that role may see, probed once at the
 * start: the checks that need more than that skip with the reason.
 */
export interface SessionFacts {
  user: string;
  database: string;
  superuser: boolean;
  /** Member of pg_monitor (pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables). */
  pgMonitor: boolean;
  readAllStats: boolean;
  readAllSettings: boolean;
  /** Whether this connection is encrypted (pg_stat_ssl). */
  connectionSsl: boolean;
  serverVersionNum: number;
}

/**
 * Everything a check may use: read-only queries on any database of the
 * server (every session is `default_transaction_read_only`), the probed
 * session facts, the system to compare against, the declared pooler, and
 * where pgdrill keeps its records (the lab's backups, the drill history).
 */
export interface CheckContext {
  target: { kind: 'lab' | 'url' | 'rds'; name: string };
  /** What the RDS API said about the instance (`check --rds`); absent otherwise. */
  rds?: RdsCheckFacts;
  session: SessionFacts;
  system: CheckedSystem;
  pooler: PoolerDeclaration | null;
  /** pgdrill's backup store for this server (the lab's), or null when pgdrill keeps none (a --url target). */
  backupRoot: string | null;
  historyFile: string;
  scenarioIds: readonly string[];
  now: Date;
  /** Runs one read-only statement on `database` (null: the database the checks connected to). */
  query(database: string | null, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/**
 * Read-only connections to the databases of one server, opened on first
 * use and kept until `close`: only queries (SELECT, WITH, SHOW) are sent,
 * and every session runs with
 * `default_transaction_read_only = on`, under the application name
 * `pgdrill check`, with a 5 s connect and 15 s query timeout. A database
 * the role may not connect to, or that does not exist, is a `CheckSkipped`
 * naming it.
 */
export class CheckConnections {
  private readonly clients = new Map<string, Promise<pg.Client>>();

  constructor(
    private readonly urlFor: (database: string) => string,
    readonly defaultDatabase: string,
  ) {}

  async query(database: string | null, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
    // A read-only session refuses writes, but not everything (ALTER SYSTEM, for one): checks may only ask.
    if (!/^\s*(SELECT|WITH|SHOW)\b/i.test(sql)) throw new BugError(`a check ran a statement that is not a query: ${sql.trim().split('\n')[0]}`);
    const db = database ?? this.defaultDatabase;
    const client = await this.client(db);
    return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
  }

  private client(database: string): Promise<pg.Client> {
    let found = this.clients.get(database);
    if (!found) {
      found = this.connect(database);
      this.clients.set(database, found);
    }
    return found;
  }

  private async connect(database: string): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.urlFor(database),
      options: '-c default_transaction_read_only=on',
      application_name: 'pgdrill check',
      connectionTimeoutMillis: 5000,
      query_timeout: 15_000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      if (database !== this.defaultDatabase && isServerError(error)) {
        if (error.code === '3D000') throw new CheckSkipped(`database ${database} does not exist`);
        if (error.code === '42501' || error.code === '28000') throw new CheckSkipped(`cannot connect to ${database}: ${error.message} (grant the checking role CONNECT on it)`);
      }
      throw error;
    }
  }

  /** Closes every connection opened. */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map(async (c) => (await c.catch(() => undefined))?.end().catch(() => {})));
  }
}

/** The query that probes `SessionFacts`. */
export const SESSION_FACTS_SQL = `SELECT current_user AS "user", current_database() AS database,
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
  pg_has_role(current_user, 'pg_monitor', 'USAGE') AS pg_monitor,
  pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
  pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS read_all_settings,
  coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS connection_ssl,
  current_setting('server_version_num')::int AS server_version_num`;

/** Session facts from the row of `SESSION_FACTS_SQL`. */
export function sessionFactsFromRow(row: Record<string, unknown>): SessionFacts {
  const superuser = row.superuser === true;
  return {
    user: String(row.user),
    database: String(row.database),
    superuser,
    pgMonitor: superuser || row.pg_monitor === true,
    readAllStats: superuser || row.read_all_stats === true,
    readAllSettings: superuser || row.read_all_settings === true,
    connectionSsl: row.connection_ssl === true,
    serverVersionNum: Number(row.server_version_num),
  };
}
