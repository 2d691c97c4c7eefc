import { readFileSync } from 'node:fs';
import os from 'node:os';
import { UserError } from '../core/errors.ts';

/** The OS account PostgreSQL's processes run as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** True when pgdrill runs as root and must switch to this user for the server. */
  switchFromRoot: boolean;
}

/**
 * PostgreSQL refuses to run as root. When pgdrill runs as root (as CI does),
 * the server runs as an unprivileged account: `PGDRILL_SERVER_USER`, default
 * `postgres` (present wherever Debian's postgresql package is installed).
 * Otherwise it runs as the current user.
 */
export function resolveServerUser(env: NodeJS.ProcessEnv = process.env): ServerUser {
  const uid = process.getuid?.() ?? 1;
  if (uid !== 0) {
    const info = os.userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, switchFromRoot: false };
  }
  const name = env.PGDRILL_SERVER_USER || 'postgres';
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // fall through to the error below
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 4) {
      const userUid = Number(fields[2]);
      if (userUid === 0) {
        throw new UserError(`PGDRILL_SERVER_USER=${name} is a root account; PostgreSQL refuses to run as root.`, 'Set PGDRILL_SERVER_USER to an unprivileged account.');
      }
      return { name, uid: userUid, gid: Number(fields[3]), switchFromRoot: true };
    }
  }
  throw new UserError(
    `pgdrill is running as root, and PostgreSQL refuses to run as root, but the account "${name}" it would run the server as does not exist.`,
    `Create it (\`useradd --system --home /var/lib/postgresql ${name}\`), set PGDRILL_SERVER_USER to another unprivileged account, or run pgdrill as a normal user.`,
  );
}
