import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { ensureDir } from '../util/safe-dir.ts';
import { LAB_DIR_ROLE } from './lab-dir.ts';

/** Who started the running server: `lab up` (persistent) or a drill that stops it when done (ephemeral). */
const OwnerSchema = z.object({
  pid: z.number().int(),
  mode: z.enum(['persistent', 'ephemeral']),
});

/** The lab's streaming replica, when `lab up --replica` made one. */
const ReplicaSchema = z.object({
  /** Its own loopback port. */
  port: z.number().int().min(1).max(65535),
  createdAt: z.string(),
});

/** The lab's PgBouncer, when `lab up --pooler` made one. */
const PoolerSchema = z.object({
  /** Its own loopback port (clients and the admin console). */
  port: z.number().int().min(1).max(65535),
  /** Where it sends server connections: the lab's primary, or a promoted replica after a failover. */
  upstream: z.object({ host: z.string(), port: z.number().int().min(1).max(65535) }),
  createdAt: z.string(),
});

const LabStateSchema = z.object({
  version: z.literal(1),
  labDir: z.string(),
  /** Where the server's own files live (data, WAL archive, socket, log); owned by the server user. */
  serverRoot: z.string(),
  port: z.number().int().min(1).max(65535),
  superuser: z.string(),
  superuserPassword: z.string(),
  servicePasswords: z.record(z.string(), z.string()),
  pgMajor: z.number().int(),
  bindir: z.string(),
  fixturesLoaded: z.boolean(),
  owner: OwnerSchema.nullable(),
  createdAt: z.string(),
  /** The streaming replica beside the primary (data in `<serverRoot>/replica`), absent when none. */
  replica: ReplicaSchema.nullable().optional(),
  /** `lab up --ssl`: the server has a self-signed certificate, ssl = on, and rejects non-SSL TCP connections of the service roles. */
  ssl: z.boolean().optional(),
  /** PgBouncer in front of the primary (files in `<serverRoot>/pooler`), absent when none. */
  pooler: PoolerSchema.nullable().optional(),
});

/**
 * What `lab.json` in a lab directory records: enough to find, reach, reap
 * and tear down the lab from any later pgdrill process. It holds generated
 * passwords, so the file is written with mode 0600 and never printed.
 */
export type LabState = z.infer<typeof LabStateSchema>;

/** The replica entry of a lab state. */
export type LabReplicaState = z.infer<typeof ReplicaSchema>;

/** The owner entry of a lab state. */
export type LabOwner = z.infer<typeof OwnerSchema>;

/** Path of the state file in a lab directory. */
export function labStatePath(labDir: string): string {
  return path.join(labDir, 'lab.json');
}

/** Reads the lab state, or undefined when the lab was never created. */
export function readLabState(labDir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(labStatePath(labDir), 'utf8');
  } catch {
    return undefined;
  }
  const problem = (why: string) =>
    new UserError(
      `The lab state file ${labStatePath(labDir)} is not one this pgdrill understands (${why}).`,
      'Run `pgdrill lab down --purge` for that lab directory, or remove it, then `pgdrill lab up` again.',
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw problem(`not JSON: ${(error as Error).message}`);
  }
  const parsed = LabStateSchema.safeParse(json);
  if (!parsed.success) throw problem(parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

/** Writes the lab state atomically (temp file + rename), mode 0600. */
export function writeLabState(state: LabState): void {
  ensureDir(state.labDir, LAB_DIR_ROLE);
  const file = labStatePath(state.labDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** A random password for a generated role: URL-safe, 24 characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
