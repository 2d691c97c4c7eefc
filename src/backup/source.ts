import path from 'node:path';
import pg from 'pg';
import { UserError } from '../core/errors.ts';
import { SERVICE_DATABASES } from '../core/target.ts';
import type { Lab } from '../lab/lab.ts';
import { findPgBinaries, type PgBinaries } from '../lab/pg-binaries.ts';
import { registerSecret } from '../util/redact.ts';

/**
 * A server to back up, as the backup code reaches it: libpq environment of
 * a superuser with replication rights (password included: pass to children,
 * never print), the binaries to use, and the WAL archive when known.
 */
export interface BackupSource {
  kind: 'lab' | 'url';
  /** Printable name (no secrets). */
  name: string;
  host: string;
  port: number;
  superuser: string;
  env: NodeJS.ProcessEnv;
  binaries: PgBinaries;
  /** The WAL archive of the server (the lab's), when known. */
  walArchive: string | null;
  /** Where backups go by default. */
  defaultBackupRoot: string;
  /** node-postgres settings for `database`. */
  clientConfig(database: string): pg.ClientConfig;
}

/** The lab as a backup source. */
export function labSource(lab: Lab): BackupSource {
  const env = lab.clientEnv();
  return {
    kind: 'lab',
    name: lab.name,
    host: lab.endpoint.host,
    port: lab.endpoint.port,
    superuser: String(env.PGUSER),
    env,
    binaries: lab.pg(),
    walArchive: lab.paths.archiveDir,
    defaultBackupRoot: path.join(lab.labDir, 'backups'),
    clientConfig: (database) => ({ connectionString: lab.adminUrl(database), connectionTimeoutMillis: 5000 }),
  };
}

/** A server given by a superuser URL (postgres://user:password@host:port/db) as a backup source. */
export function urlSource(url: string, labDir: string, env: NodeJS.ProcessEnv = process.env): BackupSource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError('The --url value is not a connection URL.', 'Give it as postgres://USER:PASSWORD@HOST:PORT/postgres.');
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new UserError(`The --url value uses the scheme "${parsed.protocol}", not postgres:.`, 'Give it as postgres://USER:PASSWORD@HOST:PORT/postgres.');
  const password = decodeURIComponent(parsed.password);
  registerSecret(password);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 5432);
  const user = decodeURIComponent(parsed.username || 'postgres');
  const childEnv: NodeJS.ProcessEnv = { ...env, PGHOST: host, PGPORT: String(port), PGUSER: user, PGDATABASE: 'postgres', PGCONNECT_TIMEOUT: '5' };
  if (password) childEnv.PGPASSWORD = password;
  return {
    kind: 'url',
    name: `${user}@${host}:${port}`,
    host,
    port,
    superuser: user,
    env: childEnv,
    binaries: findPgBinaries(env),
    walArchive: null,
    defaultBackupRoot: path.join(labDir, 'backups'),
    clientConfig: (database) => ({ host, port, user, password: password || undefined, database, connectionTimeoutMillis: 5000 }),
  };
}

/** The service databases of the seed, in a fixed order. */
export const SEED_DATABASES: string[] = Object.values(SERVICE_DATABASES).map((s) => s.database);
