import { accessSync, constants } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { findOnPath } from '../util/find-on-path.ts';

/** Where packages put PgBouncer when it is not on PATH (Debian installs it in /usr/sbin, often not on a user's PATH). */
const USUAL_PATHS = ['/usr/sbin/pgbouncer', '/usr/local/sbin/pgbouncer', '/usr/local/bin/pgbouncer', '/opt/homebrew/bin/pgbouncer', '/usr/bin/pgbouncer'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The PgBouncer program the lab runs: `PGBOUNCER_BIN` when set (it must be
 * executable), else `pgbouncer` on PATH, else the usual package locations.
 * Absent, a `UserError` names the package to install.
 */
export function findPgBouncer(env: NodeJS.ProcessEnv = process.env, usualPaths: readonly string[] = USUAL_PATHS): string {
  if (env.PGBOUNCER_BIN) {
    if (executable(env.PGBOUNCER_BIN)) return env.PGBOUNCER_BIN;
    throw new UserError(`PGBOUNCER_BIN is set to ${env.PGBOUNCER_BIN}, which is not an executable file.`, 'Point PGBOUNCER_BIN at the pgbouncer program, or unset it to find pgbouncer on PATH.');
  }
  const found = findOnPath('pgbouncer', env) ?? usualPaths.find(executable);
  if (found) return found;
  throw new UserError(
    `PgBouncer is not installed: no pgbouncer on PATH, PGBOUNCER_BIN is not set, and none of ${usualPaths.join(', ')} exists. \`--pooler\` runs the real PgBouncer.`,
    'Install the pgbouncer package (Debian/Ubuntu: `apt-get install pgbouncer`, then `systemctl disable --now pgbouncer` so only the lab runs one; macOS: `brew install pgbouncer`), or set PGBOUNCER_BIN to its path.',
  );
}
