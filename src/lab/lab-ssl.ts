import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError, UserError } from '../core/errors.ts';
import { findOnPath } from '../util/find-on-path.ts';
import { runCommand } from '../util/run-command.ts';

/** Where a lab with SSL keeps its certificate and key (under the server root, owned by the server user). */
export function labSslPaths(serverRoot: string): { dir: string; cert: string; key: string } {
  const dir = path.join(serverRoot, 'ssl');
  return { dir, cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

/**
 * Makes the lab's TLS material: a self-signed certificate for 127.0.0.1
 * (10 years, RSA 2048) with the machine's openssl (Node's crypto can read
 * certificates but not make them). `chown` hands each file to the
 * server's account; the key is mode 0600, as PostgreSQL requires.
 */
export async function createLabCertificate(serverRoot: string, chown: (file: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const openssl = findOnPath('openssl', env);
  if (!openssl) throw new UserError('`lab up --ssl` needs openssl to make the lab\'s self-signed certificate, and none is on PATH.', 'Install it (Debian/Ubuntu: apt-get install openssl; macOS: it is preinstalled), then run `pgdrill lab up --ssl` again.');
  const p = labSslPaths(serverRoot);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chown(p.dir);
  try {
    await runCommand(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-subj', '/CN=pgdrill-lab', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', p.key, '-out', p.cert], { timeoutMs: 60_000 });
  } catch (error) {
    throw new UserError(`openssl could not make the lab's certificate: ${error instanceof CommandError ? error.stderrTail.trim() : String(error)}`, 'Check the openssl installation, then run `pgdrill lab up --ssl` again.');
  }
  chmodSync(p.key, 0o600);
  for (const f of [p.cert, p.key]) chown(f);
}

const HBA_MARKER = '# pgdrill lab --ssl: the service roles must use SSL over TCP';

/**
 * Puts the rules that reject TCP connections without SSL for the service
 * roles first in a data directory's pg_hba.conf, once (a base backup, a
 * replica or a restored cluster carries them along). Returns whether it
 * changed the file.
 */
export function ensureSslHba(dataDir: string, serviceRoles: readonly string[]): boolean {
  const file = path.join(dataDir, 'pg_hba.conf');
  const text = readFileSync(file, 'utf8');
  if (text.includes(HBA_MARKER)) return false;
  const roles = serviceRoles.join(',');
  writeFileSync(file, `${HBA_MARKER}\nhostnossl all ${roles} 0.0.0.0/0 reject\nhostnossl all ${roles} ::/0 reject\n${text}`);
  return true;
}

/** The server settings of a lab with SSL: ssl on, its certificate and key. */
export function labSslSettings(serverRoot: string): Record<string, string> {
  const p = labSslPaths(serverRoot);
  return { ssl: 'on', ssl_cert_file: p.cert, ssl_key_file: p.key };
}
