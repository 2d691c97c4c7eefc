import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** Longest socket directory whose `.s.PGSQL.<port>` path fits the kernel's limit (108 bytes with the NUL) with room to spare. */
const MAX_SOCKET_DIR = 100 - '/.s.PGSQL.65535'.length;

/**
 * The directory a cluster's Unix socket goes in: `preferred` when the socket
 * path fits the kernel's limit on Unix socket paths, else a short directory
 * of its own under the system temp directory (named from `preferred`, so the
 * same cluster always gets the same one). A lab deep in a project tree would
 * otherwise fail to start with "could not create any Unix-domain sockets".
 */
export function socketDirFor(preferred: string): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_DIR) return preferred;
  const digest = createHash('sha256').update(preferred).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `pgdrill-sock-${digest}`);
}
