import type { Rows } from '../core/runbook.ts';
import type { Endpoint } from '../core/target.ts';
import { UserError } from '../core/errors.ts';
import { queryOnce } from '../util/query-once.ts';
import { registerSecret } from '../util/redact.ts';

/**
 * PgBouncer's admin console (the virtual database `pgbouncer`) as pgdrill
 * reaches it: through `pg`, since it speaks the PostgreSQL protocol (simple
 * queries only: commands are sent without parameters). `admin` runs one
 * console command (SHOW POOLS, PAUSE, RESUME, RELOAD, RECONNECT, ...) on a
 * connection of its own and returns the rows. `adminUrl` carries a
 * password: never print it unredacted.
 */
export interface PoolerConsole {
  /** Where PgBouncer listens. */
  readonly endpoint: Endpoint;
  /** Connection URL of the admin console (database `pgbouncer`). */
  adminUrl(): string;
  /** Runs one admin console command and returns its rows. */
  admin(command: string): Promise<Rows>;
}

/** One row of `SHOW POOLS`, the columns pgdrill reads (per database and user). */
export interface PoolRow {
  database: string;
  user: string;
  /** Clients linked to a server connection (in a transaction, in transaction mode). */
  clActive: number;
  /** Clients that sent a query and wait for a server connection. */
  clWaiting: number;
  /** Server connections linked to a client. */
  svActive: number;
  /** Server connections idle, ready for a client. */
  svIdle: number;
  /** How long the oldest waiting client has waited, in milliseconds. */
  maxwaitMs: number;
  poolMode: string;
}

/** Runs one admin console command at `url` (simple query protocol: no parameters). */
export async function adminCommand(url: string, command: string, timeoutMs = 5000): Promise<Rows> {
  return queryOnce({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs }, command);
}

/** `SHOW POOLS` rows as numbers (the console's own `pgbouncer` pool left out). */
export function parsePools(rows: Rows): PoolRow[] {
  const n = (v: unknown) => Number(v ?? 0);
  return rows
    .filter((r) => r.database !== 'pgbouncer')
    .map((r) => ({
      database: String(r.database),
      user: String(r.user),
      clActive: n(r.cl_active),
      clWaiting: n(r.cl_waiting),
      svActive: n(r.sv_active),
      svIdle: n(r.sv_idle),
      maxwaitMs: n(r.maxwait) * 1000 + Math.round(n(r.maxwait_us) / 1000),
      poolMode: String(r.pool_mode ?? ''),
    }));
}

/**
 * The admin console of a PgBouncer named by a URL (`--pooler-url` of a
 * guided session against production): `postgres://user:password@host:6432/pgbouncer`.
 * The user must be in PgBouncer's `admin_users` for PAUSE/RESUME/RELOAD
 * (`stats_users` is enough for SHOW).
 */
export function urlPoolerConsole(raw: string): PoolerConsole {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError('The --pooler-url value is not a connection URL.', 'Write it as postgres://admin@host:6432/pgbouncer (the PgBouncer admin console; the password in the URL or PGPASSWORD).');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UserError(`The --pooler-url value uses "${url.protocol}", not postgres:.`, 'Write it as postgres://admin@host:6432/pgbouncer.');
  }
  if (url.password) {
    registerSecret(url.password);
    registerSecret(decodeURIComponent(url.password));
  }
  url.pathname = '/pgbouncer';
  const endpoint = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6432 };
  return { endpoint, adminUrl: () => url.href, admin: (command) => adminCommand(url.href, command) };
}
