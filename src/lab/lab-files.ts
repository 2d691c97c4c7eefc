import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError, UserError } from '../core/errors.ts';
import { SERVICE_DATABASES } from '../core/target.ts';
import { generatePassword, type LabState } from './lab-state.ts';
import type { PgBinaries } from './pg-binaries.ts';
import { chownToServer, runAsServer } from './server-process.ts';
import type { ServerUser } from './server-user.ts';
import { socketDirFor } from './socket-dir.ts';

/*
 * Where a lab's server files live under its server root, and how the
 * primary's cluster and the replica's copy of it are made. The Lab decides
 * when; these only make files (as the server user), never start a server.
 */

/** The primary's files under a lab's server root; the socket directory is shortened when the path would be too long for a Unix socket. */
export interface LabServerPaths {
  dataDir: string;
  archiveDir: string;
  socketDir: string;
  logFile: string;
}

/** The replica's files under a lab's server root (its socket shares the primary's directory); `passFile` holds the superuser's password for streaming. */
export interface LabReplicaPaths {
  dataDir: string;
  logFile: string;
  passFile: string;
}

/** The primary's files under `serverRoot`. */
export function labServerPaths(serverRoot: string): LabServerPaths {
  return {
    dataDir: path.join(serverRoot, 'data'),
    archiveDir: path.join(serverRoot, 'wal-archive'),
    socketDir: socketDirFor(path.join(serverRoot, 'run')),
    logFile: path.join(serverRoot, 'log', 'postgres.log'),
  };
}

/** The replica's files under `serverRoot`. */
export function labReplicaPaths(serverRoot: string): LabReplicaPaths {
  return { dataDir: path.join(serverRoot, 'replica'), logFile: path.join(serverRoot, 'log', 'replica.log'), passFile: path.join(serverRoot, 'replica.pgpass') };
}

/**
 * Where a new lab's server files go: `<labDir>/server`, or, when the server
 * user cannot enter the lab directory (pgdrill runs as root and a parent is
 * closed to others), a directory of its own under /var/tmp, said in the log.
 */
export function chooseServerRoot(labDir: string, user: ServerUser, log: (line: string) => void): string {
  if (!user.switchFromRoot || spawnSync('test', ['-x', labDir], { uid: user.uid, gid: user.gid }).status === 0) return path.join(labDir, 'server');
  const digest = createHash('sha256').update(labDir).digest('hex').slice(0, 12);
  const serverRoot = path.join('/var/tmp', `pgdrill-lab-${digest}`);
  log(
    `The lab directory ${labDir} cannot be entered by the account "${user.name}" that runs PostgreSQL (a parent directory is closed to other users), so the server's files go to ${serverRoot}.`,
  );
  return serverRoot;
}

/** The state of a lab not created yet: generated passwords, no owner, fixtures not loaded. */
export function newLabState(labDir: string, serverRoot: string, pg: PgBinaries, port: number): LabState {
  return {
    version: 1,
    labDir,
    serverRoot,
    port,
    superuser: 'pgdrill',
    superuserPassword: generatePassword(),
    servicePasswords: Object.fromEntries(Object.values(SERVICE_DATABASES).map((s) => [s.role, generatePassword()])),
    pgMajor: pg.major,
    bindir: pg.bindir,
    fixturesLoaded: false,
    owner: null,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Makes the lab's directories (mode 0700, owned by the server user) and its
 * cluster with `initdb` (data checksums, SCRAM authentication, the
 * superuser's password from a temporary file), whose postgresql.conf then
 * includes the `pgdrill.conf` written at every start.
 */
export async function initLabCluster(state: LabState, pg: PgBinaries, user: ServerUser, options: { log: (line: string) => void; env: NodeJS.ProcessEnv }): Promise<void> {
  const p = labServerPaths(state.serverRoot);
  for (const dir of [state.serverRoot, p.archiveDir, p.socketDir, path.dirname(p.logFile)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownToServer(user, dir);
  }
  const pwfile = path.join(state.serverRoot, '.pwfile');
  writeFileSync(pwfile, `${state.superuserPassword}\n`, { mode: 0o600 });
  chownToServer(user, pwfile);
  options.log(`Creating a PostgreSQL ${pg.major} cluster with data checksums in ${p.dataDir}.`);
  try {
    await runAsServer(user, pg.bin('initdb'), [
      '-D', p.dataDir, '--data-checksums', '-U', state.superuser, `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync',
    ], { parentEnv: options.env });
  } finally {
    rmSync(pwfile, { force: true });
  }
  const conf = path.join(p.dataDir, 'postgresql.conf');
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\ninclude_if_exists = 'pgdrill.conf'\n`);
}

/**
 * Copies the running primary (on `primaryPort`) into the replica's data
 * directory with `pg_basebackup` (WAL streamed alongside), run as the
 * server user with a password file (mode 0600, never in a command line),
 * and makes the copy a standby (`standby.signal`, without the primary's
 * ALTER SYSTEM settings). A failed copy is removed and thrown as a
 * `UserError`.
 */
export async function cloneReplica(state: LabState, primaryPort: number, pg: PgBinaries, user: ServerUser, log: (line: string) => void): Promise<void> {
  const rp = labReplicaPaths(state.serverRoot);
  rmSync(rp.dataDir, { recursive: true, force: true });
  writeFileSync(rp.passFile, `*:*:*:${state.superuser}:${state.superuserPassword.replace(/([\\:])/g, '\\$1')}\n`, { mode: 0o600 });
  chownToServer(user, rp.passFile);
  log(`Creating a streaming replica in ${rp.dataDir} (pg_basebackup of the primary).`);
  const env = { PGHOST: '127.0.0.1', PGPORT: String(primaryPort), PGUSER: state.superuser, PGPASSFILE: rp.passFile, PGCONNECT_TIMEOUT: '5' };
  try {
    await runAsServer(user, pg.bin('pg_basebackup'), ['-D', rp.dataDir, '-X', 'stream', '-c', 'fast', '--no-sync', '-l', 'pgdrill replica'], { env, timeoutMs: 30 * 60_000 });
  } catch (error) {
    rmSync(rp.dataDir, { recursive: true, force: true });
    throw new UserError(`pg_basebackup could not copy the primary for the replica: ${error instanceof CommandError ? error.stderrTail.trim() : String(error)}`, 'Check that the disk has room and the primary accepts replication connections (`pgdrill lab status`).');
  }
  // Settings made on the primary with ALTER SYSTEM (synchronous_standby_names above all) are not the replica's.
  const auto = path.join(rp.dataDir, 'postgresql.auto.conf');
  if (existsSync(auto)) writeFileSync(auto, readFileSync(auto, 'utf8').split('\n').filter((l) => !/^\s*(synchronous_standby_names|primary_conninfo|primary_slot_name)\b/.test(l)).join('\n'));
  writeFileSync(path.join(rp.dataDir, 'standby.signal'), '');
  chownToServer(user, path.join(rp.dataDir, 'standby.signal'));
  chmodSync(rp.dataDir, 0o700);
}

/**
 * Puts another cluster's data directory (a promoted replica, a side cluster
 * restored by PITR; on the same filesystem, its server stopped) in place of
 * the primary's: the old one moved aside (`keepOld`: its new path is
 * returned) or removed, the new one moved in (mode 0700, owned by the server
 * user, no `standby.signal`), and its timeline history files copied into
 * the WAL archive (a later PITR must be able to follow the new timeline).
 */
export function installDataDir(newDataDir: string, p: LabServerPaths, user: ServerUser, keepOld: boolean): string | null {
  let oldDataDir: string | null = null;
  if (existsSync(p.dataDir)) {
    if (keepOld) {
      oldDataDir = `${p.dataDir}.replaced-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      renameSync(p.dataDir, oldDataDir);
    } else {
      rmSync(p.dataDir, { recursive: true, force: true });
    }
  }
  renameSync(newDataDir, p.dataDir);
  chmodSync(p.dataDir, 0o700);
  chownToServer(user, p.dataDir);
  rmSync(path.join(p.dataDir, 'standby.signal'), { force: true });
  const walDir = path.join(p.dataDir, 'pg_wal');
  for (const f of readdirSync(walDir).filter((n) => /^[0-9A-F]{8}\.history$/.test(n))) {
    const to = path.join(p.archiveDir, f);
    if (!existsSync(to)) {
      copyFileSync(path.join(walDir, f), to);
      chownToServer(user, to);
    }
  }
  return oldDataDir;
}
