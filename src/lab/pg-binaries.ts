import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';

/** The PostgreSQL server and client programs the lab runs, found on this machine. */
export interface PgBinaries {
  /** Directory holding initdb, pg_ctl, postgres, psql, pg_isready, ... */
  bindir: string;
  /** Major version, e.g. 15. */
  major: number;
  /** How the directory was found: PG_BIN, pg_config or a usual install path. */
  foundBy: 'PG_BIN' | 'pg_config' | 'install path';
  /** Absolute path of one program in bindir. */
  bin(name: string): string;
}

const REQUIRED = ['initdb', 'pg_ctl', 'postgres', 'psql', 'pg_isready'];

/**
 * The oldest PostgreSQL the lab runs on: it uses `wal_keep_size` and
 * `DROP DATABASE ... WITH (FORCE)` (13) and `pg_amcheck` (14).
 */
export const MIN_LAB_PG_MAJOR = 14;

/** Throws a `UserError` naming the version found and what to install when `pg` is older than the lab needs. */
export function requireLabVersion(pg: PgBinaries): PgBinaries {
  if (pg.major >= MIN_LAB_PG_MAJOR) return pg;
  throw new UserError(
    `PostgreSQL ${pg.major} in ${pg.bindir} (found by ${pg.foundBy}) is too old for pgdrill's lab, which needs ${MIN_LAB_PG_MAJOR} or newer (it uses wal_keep_size, DROP DATABASE ... WITH (FORCE) and pg_amcheck).`,
    `Install PostgreSQL ${MIN_LAB_PG_MAJOR} or newer (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16) and point PG_BIN at its bin directory.`,
  );
}

function hasServer(dir: string): boolean {
  return REQUIRED.every((name) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function usualInstallDirs(): string[] {
  const dirs: string[] = [];
  for (const root of ['/usr/lib/postgresql', '/usr/pgsql', '/opt/homebrew/opt', '/usr/local/opt']) {
    try {
      const versions = readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v) || /^postgresql@?\d*$/.test(v))
        .sort((a, b) => parseFloat(b.replace(/\D+/g, '')) - parseFloat(a.replace(/\D+/g, '')));
      for (const v of versions) dirs.push(path.join(root, v, 'bin'));
    } catch {
      // not there
    }
  }
  for (const v of [17, 16, 15, 14, 13]) dirs.push(`/usr/pgsql-${v}/bin`, `/usr/local/pgsql-${v}/bin`);
  dirs.push('/usr/local/pgsql/bin', '/usr/local/bin', '/usr/bin', '/opt/homebrew/bin');
  return dirs;
}

function majorOf(bindir: string): number {
  const out = execFileSync(path.join(bindir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const match = /(\d+)(?:\.\d+)?/.exec(out);
  if (!match) throw new UserError(`Could not read the PostgreSQL version from ${bindir}/postgres ("${out.trim()}").`);
  return Number(match[1]);
}

function make(bindir: string, foundBy: PgBinaries['foundBy']): PgBinaries {
  return { bindir, major: majorOf(bindir), foundBy, bin: (name) => path.join(bindir, name) };
}

/**
 * Finds PostgreSQL's server binaries: `PG_BIN` first, then `pg_config
 * --bindir`, then the usual install paths. Throws a `UserError` naming what
 * to install when none hold initdb, pg_ctl, postgres, psql and pg_isready.
 */
export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  if (env.PG_BIN) {
    if (hasServer(env.PG_BIN)) return make(env.PG_BIN, 'PG_BIN');
    throw new UserError(
      `PG_BIN is set to ${env.PG_BIN}, but that directory does not hold PostgreSQL's server programs (${REQUIRED.join(', ')}).`,
      'Point PG_BIN at the bin directory of a PostgreSQL installation (for example /usr/lib/postgresql/15/bin), or unset it to let pgdrill search.',
    );
  }
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env }).trim();
    if (bindir && hasServer(bindir)) return make(bindir, 'pg_config');
  } catch {
    // no pg_config on PATH
  }
  for (const dir of usualInstallDirs()) {
    if (hasServer(dir)) return make(dir, 'install path');
  }
  throw new UserError(
    'No PostgreSQL server binaries were found (looked at PG_BIN, `pg_config --bindir` and the usual install paths such as /usr/lib/postgresql/*/bin).',
    'Install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@16`), or set PG_BIN to the directory holding initdb and pg_ctl.',
  );
}
