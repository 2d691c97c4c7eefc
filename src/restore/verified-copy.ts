import { spawn } from 'node:child_process';
import pg from 'pg';
import { UserError } from '../core/errors.ts';
import type { Lab } from '../lab/lab.ts';
import type { ScratchCluster } from '../lab/scratch-cluster.ts';
import { trackChild } from '../util/work-scope.ts';

/** What a set of rows is, for comparing what was sent with what arrived: how many, and a checksum over their key. */
export interface RowsFingerprint {
  rows: number;
  /** md5 of the rows' keys as text, sorted byte-wise and joined with commas ('' for no rows). */
  checksum: string;
}

/** Something that runs SQL with parameters on one database (the lab, a side cluster). */
interface Queryable {
  query(database: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** SQL computing the fingerprint (`rows`, `checksum`) of `from` (a relation or a parenthesised subquery with an alias), keyed by `key`. */
export function fingerprintSql(key: string, from: string): string {
  return `SELECT count(*)::bigint AS rows, coalesce(md5(string_agg(k, ',' ORDER BY k COLLATE "C")), '') AS checksum FROM (SELECT (${key})::text AS k FROM ${from}) AS keyed`;
}

/** The columns a copy moves (every column but generated ones), quoted, in table order. */
export async function copiedColumns(db: Queryable, database: string, qualified: string): Promise<string> {
  const [row] = await db.query(database, "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''", [qualified]);
  return String(row?.cols ?? '');
}

/**
 * The key a copy is checked by: the primary key's columns as a row
 * (`ROW(id)`), or every copied column when the table has none.
 */
export async function rowKey(db: Queryable, database: string, qualified: string, cols: string): Promise<string> {
  const [row] = await db.query(
    database,
    'SELECT string_agg(quote_ident(a.attname), \', \' ORDER BY k.ord) AS cols FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = $1::regclass AND i.indisprimary',
    [qualified],
  );
  return `ROW(${row?.cols ? String(row.cols) : cols})`;
}

/** One copy of rows from the side cluster into the live lab database, checked before it commits. */
export interface VerifiedCopyPlan {
  /** The table, as messages name it (`public.payments`). */
  label: string;
  database: string;
  /** The query on the side cluster whose rows are sent (its output columns are what `into` lists). */
  select: string;
  /** The key expression over those columns (see `rowKey`). */
  key: string;
  /** psql commands run in the live transaction before the rows arrive (DDL, a staging table; `\i file` works). */
  prepare: string[];
  /** The `\copy` destination: `table (columns)`. */
  into: string;
  /** The relation the rows arrived in, whose fingerprint must equal the side cluster's. */
  received: string;
  /** psql commands run after the check, before COMMIT (e.g. the INSERT into the live table). Their output is returned. */
  apply: string[];
}

const RECEIVED = /^pgdrill-received:(\d+):([0-9a-f]*)$/m;

function tail(text: string, lines = 3): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines).join(' | ');
}

/**
 * Streams rows from the side cluster (`COPY (select) TO STDOUT`, one psql)
 * into one transaction on the live database (`\copy ... FROM pstdin`,
 * another psql), and, inside that transaction, checks that what arrived
 * equals what the side cluster holds: the same number of rows and the same
 * checksum over their key (computed on the side cluster first; nothing
 * writes to it). Only then do the `apply` commands run and the transaction
 * commits. A sender that failed (killed, its server gone) looks like a
 * short or empty `\copy` to the receiver; the check catches it, the
 * transaction rolls back, and a `UserError` names the table with expected
 * versus received. Resolves with the receiver's output (for `apply`'s
 * results).
 */
export async function verifiedCopy(lab: Lab, side: ScratchCluster, plan: VerifiedCopyPlan): Promise<{ expected: RowsFingerprint; output: string }> {
  const [row] = await side.query(plan.database, fingerprintSql(plan.key, `(${plan.select}) AS sent`));
  const expected: RowsFingerprint = { rows: Number(row?.rows ?? 0), checksum: String(row?.checksum ?? '') };
  const fingerprint = fingerprintSql(plan.key, plan.received);
  const commands = [
    'SET statement_timeout = 0',
    'BEGIN',
    ...plan.prepare,
    `\\copy ${plan.into} FROM pstdin`,
    `SELECT 'pgdrill-received:' || rows || ':' || checksum FROM (${fingerprint}) AS f`,
    `DO $check$ BEGIN IF NOT EXISTS (SELECT 1 FROM (${fingerprint}) AS f WHERE rows = ${expected.rows} AND checksum = ${pg.escapeLiteral(expected.checksum)}) THEN RAISE EXCEPTION 'pgdrill: the rows received do not match the side cluster'; END IF; END $check$`,
    ...plan.apply,
    'COMMIT',
  ];
  const run = await pipeRows(lab.pg().bin('psql'), { env: side.clientEnv(plan.database), sql: `COPY (${plan.select}) TO STDOUT` }, { env: { ...lab.clientEnv(), PGDATABASE: plan.database }, commands });
  if (run.receiverCode === 0) return { expected, output: run.out };

  const got = RECEIVED.exec(run.out);
  const sender = run.senderCode !== 0 ? ` The sending side failed (psql exit ${run.senderCode ?? 'by signal'}): ${tail(run.senderErr, 5) || 'no message'}.` : '';
  const unchanged = `The transaction was rolled back: the live table ${plan.label} is unchanged.`;
  const next = 'Check that the side cluster is still running, then run the step again.';
  if (got && (Number(got[1]) !== expected.rows || got[2] !== expected.checksum)) {
    throw new UserError(
      `Copying the rows of ${plan.label} from the side cluster did not arrive whole: the side cluster holds ${expected.rows} rows (key checksum ${expected.checksum.slice(0, 12) || 'none'}), the live database received ${got[1]} (key checksum ${got[2]!.slice(0, 12) || 'none'}).${sender} ${unchanged}`,
      next,
    );
  }
  throw new UserError(`Copying the rows of ${plan.label} from the side cluster failed: ${tail(run.receiverErr) || 'the receiving psql exited without a message'}.${sender} ${unchanged}`, next);
}

interface PipeOutcome {
  out: string;
  senderErr: string;
  receiverErr: string;
  senderCode: number | null;
  receiverCode: number | null;
}

/** Pipes `psql -c COPY ... TO STDOUT` of one cluster into a psql session of another; resolves when both have exited. */
function pipeRows(psql: string, from: { env: NodeJS.ProcessEnv; sql: string }, to: { env: NodeJS.ProcessEnv; commands: string[] }): Promise<PipeOutcome> {
  return new Promise((resolve) => {
    const sender = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', from.sql], { env: from.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const receiver = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-A', '-t', ...to.commands.flatMap((c) => ['-c', c])], { env: to.env, stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(sender);
    trackChild(receiver);
    sender.stdout.pipe(receiver.stdin);
    const outcome: PipeOutcome = { out: '', senderErr: '', receiverErr: '', senderCode: null, receiverCode: null };
    sender.stderr.setEncoding('utf8').on('data', (d: string) => { outcome.senderErr += d; });
    receiver.stderr.setEncoding('utf8').on('data', (d: string) => { outcome.receiverErr += d; });
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => { outcome.out += d; });
    receiver.stdin.on('error', () => {});
    const exited = (child: { on(event: 'close', listener: (code: number | null) => void): unknown }) => new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    void Promise.all([exited(sender), exited(receiver)]).then(([s, r]) => resolve({ ...outcome, senderCode: s, receiverCode: r }));
  });
}
