import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import readline from 'node:readline';
import { UserError } from '../core/errors.ts';
import type { PgBinaries } from '../lab/pg-binaries.ts';
import { trackChild } from '../util/work-scope.ts';

/** What `--before "SQL pattern"` understood: the kind of statement and the table it hit. */
export interface BadStatement {
  kind: 'delete' | 'drop' | 'truncate';
  schema: string;
  table: string;
}

/** Parses "DELETE FROM payments", "DROP TABLE public.payments", "TRUNCATE payments" (case-insensitive). */
export function parseBadStatement(pattern: string): BadStatement {
  const m = /^\s*(DELETE\s+FROM|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|TRUNCATE(?:\s+TABLE)?)\s+(?:"?(\w+)"?\.)?"?(\w+)"?/i.exec(pattern);
  if (!m) {
    throw new UserError(
      `pgdrill cannot find transactions matching "${pattern}" in the WAL.`,
      'Give the statement that did the damage as DELETE FROM <table>, DROP TABLE <table> or TRUNCATE <table>; or give the target yourself with --to-time, --to-lsn or --to-xid.',
    );
  }
  const verb = m[1]!.toUpperCase();
  return { kind: verb.startsWith('DELETE') ? 'delete' : verb.startsWith('DROP') ? 'drop' : 'truncate', schema: m[2] ?? 'public', table: m[3]! };
}

/** The transaction that did the damage, as found in the archived WAL. */
export interface FoundTransaction {
  xid: string;
  /** LSN of its commit record. */
  commitLsn: string;
  /** Commit time as the WAL records it. */
  commitTime: string;
  /** Heap DELETE records of the table in that transaction (0 for DROP/TRUNCATE). */
  deletedTuples: number;
  /** What was matched, for people. */
  evidence: string;
}

/** Where in the WAL to look: the table's storage and identity in its database. */
export interface WalSearch {
  archiveDir: string;
  binaries: PgBinaries;
  statement: BadStatement;
  databaseOid: number;
  /** The table's current relfilenode (DELETE: its heap records name it). */
  relfilenode?: number;
  /** The table's OID (DROP: the commit's dropped stats and relcache invalidations name it). */
  tableOid?: number;
  /** The first segment to read (the base backup's start); default the first archived segment of the newest timeline. */
  fromWalFile?: string;
}

const SEGMENT = /^[0-9A-F]{24}$/;

/**
 * Finds the last committed transaction in the WAL archive that matches a
 * bad statement, with `pg_waldump`: for DELETE, the transaction with heap
 * DELETE records on the table's relfilenode; for DROP TABLE and TRUNCATE,
 * the commit that dropped the table's storage (named by its OID in the
 * commit's dropped stats / relcache invalidations, or, when the OID is not
 * known, the last commit dropping storage in that database). Segments of
 * the newest timeline are read, from `fromWalFile` on.
 */
export async function findBadTransaction(search: WalSearch): Promise<FoundTransaction> {
  const range = newestTimelineSegments(search.archiveDir, search.fromWalFile);
  const first = range[0]!;
  const last = range[range.length - 1]!;
  const { statement, databaseOid } = search;
  const relPath = search.relfilenode ? `rel 1663/${databaseOid}/${search.relfilenode} ` : null;
  const deletes = new Map<string, number>();
  const commits: FoundTransaction[] = [];
  const recordRe = /^rmgr: (\w+)\s.*?tx:\s+(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+),.*?desc: (.*)$/;
  const read = await waldump(search.binaries, ['-p', search.archiveDir, '-r', 'Heap', '-r', 'Transaction', first, last], (line) => {
    const m = recordRe.exec(line);
    if (!m) return;
    const [, rmgr, xid, lsn, desc] = m as unknown as [string, string, string, string, string];
    if (rmgr === 'Heap' && statement.kind === 'delete' && relPath && desc.startsWith('DELETE ') && line.includes(relPath)) {
      deletes.set(xid, (deletes.get(xid) ?? 0) + 1);
    } else if (rmgr === 'Transaction' && desc.startsWith('COMMIT ')) {
      const time = /^COMMIT ([^;]+)/.exec(desc)?.[1]?.trim() ?? '';
      if (statement.kind === 'delete') {
        const n = deletes.get(xid);
        if (n) commits.push({ xid, commitLsn: lsn, commitTime: time, deletedTuples: n, evidence: `${n} heap DELETE record(s) on ${statement.schema}.${statement.table} (rel ${databaseOid}/${search.relfilenode})` });
      } else {
        const dropsStorageHere = desc.includes(`rels: base/${databaseOid}/`) || new RegExp(`rels: [^;]*base/${databaseOid}/`).test(desc);
        if (!dropsStorageHere) return;
        const named = search.tableOid ? desc.includes(`2/${databaseOid}/${search.tableOid}`) || new RegExp(`relcache ${search.tableOid}\\b`).test(desc) : true;
        if (named) commits.push({ xid, commitLsn: lsn, commitTime: time, deletedTuples: 0, evidence: `commit dropping the storage of ${statement.schema}.${statement.table}${search.tableOid ? ` (oid ${search.tableOid})` : ' (last commit dropping storage in the database; its OID was not known)'}` });
      }
    }
  });
  if (!read.ok && commits.length === 0) throw new UserError(`pg_waldump could not read the WAL archive ${search.archiveDir}: ${read.error}`);
  const found = commits[commits.length - 1];
  if (!found) {
    throw new UserError(
      `No committed transaction matching "${statement.kind.toUpperCase()} … ${statement.schema}.${statement.table}" was found in the archived WAL (${first} … ${last}).`,
      'Make sure the WAL holding it is archived (SELECT pg_switch_wal()), or give the target yourself with --to-time, --to-lsn or --to-xid.',
    );
  }
  return found;
}

/** The archived segments of the newest timeline, from `fromWalFile` on (all of them when none is later). */
function newestTimelineSegments(archiveDir: string, fromWalFile?: string): string[] {
  const segments = readdirSync(archiveDir).filter((f) => SEGMENT.test(f)).sort();
  if (segments.length === 0) throw new UserError(`The WAL archive ${archiveDir} holds no segment.`, 'Check archive_command and that archiving works (`pgdrill lab status` counts segments).');
  const tli = segments[segments.length - 1]!.slice(0, 8);
  const range = segments.filter((s) => s.startsWith(tli));
  if (!fromWalFile) return range;
  const later = range.filter((s) => s.slice(8) >= fromWalFile.slice(8));
  return later.length ? later : range;
}

/**
 * Runs pg_waldump, handing each output line to `onLine`. `ok` is false with
 * pg_waldump's last words when it failed for another reason than reaching
 * the end of valid WAL (a partial last record), which is how it ends on a
 * live archive.
 */
async function waldump(binaries: PgBinaries, args: string[], onLine: (line: string) => void): Promise<{ ok: boolean; error: string }> {
  const child = spawn(binaries.bin('pg_waldump'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
  for await (const line of readline.createInterface({ input: child.stdout })) onLine(line);
  const code: number | null = await new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('close', (c) => resolve(c));
  });
  const ok = code === 0 || /invalid record length|end of WAL|could not find a valid record|contrecord/i.test(stderr);
  return { ok, error: stderr.trim().split('\n').slice(-2).join(' ') };
}

/**
 * Where transaction `xid` committed: the LSN of its COMMIT record in the
 * archived WAL of the newest timeline, or undefined when the archive holds
 * no commit of it (not archived yet, or it aborted). A point-in-time
 * recovery to just before it must start from a base backup that ended
 * before this LSN.
 */
export async function commitLsnOf(archiveDir: string, binaries: PgBinaries, xid: string): Promise<string | undefined> {
  const range = newestTimelineSegments(archiveDir);
  let commitLsn: string | undefined;
  const read = await waldump(binaries, ['-p', archiveDir, '-r', 'Transaction', '-x', xid, range[0]!, range[range.length - 1]!], (line) => {
    const m = /lsn: ([0-9A-F]+\/[0-9A-F]+),.*?desc: COMMIT /.exec(line);
    if (m) commitLsn = m[1];
  });
  if (!read.ok && !commitLsn) throw new UserError(`pg_waldump could not read the WAL archive ${archiveDir}: ${read.error}`);
  return commitLsn;
}
