import { createRequire } from 'node:module';
import { UserError } from '../core/errors.ts';

const require = createRequire(import.meta.url);

/** One statement of a migration file, as PostgreSQL's own parser (libpg-query) read it. */
export interface MigrationStatement {
  file: string;
  /** 1-based line of its first token. */
  line: number;
  /** Its text, from the first token to the end (without the semicolon). */
  text: string;
  /** The statement's parse node: `{ AlterTableStmt: {...} }`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  node: Record<string, any>;
  /** Rules allowed by `-- pgdrill: allow <rule>[, <rule>]` comments between the previous statement and this one. */
  allows: string[];
}

type ParseResult = { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
type LibPgQuery = { parse(sql: string): Promise<ParseResult> };
let parser: LibPgQuery | undefined;

/** The parser: libpg-query, PostgreSQL's parser compiled to WebAssembly (the same grammar the server uses). */
function libpgQuery(): LibPgQuery {
  parser ??= require('libpg-query') as LibPgQuery;
  return parser;
}

const ALLOW = /^\s*--\s*pgdrill:\s*allow\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*$/i;

/** Byte offset of the first token at or after `from`: skips white space, `--` comments and `/* *\/` comments. */
function firstToken(bytes: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = bytes[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) i++;
    else if (c === 0x2d && bytes[i + 1] === 0x2d) while (i < to && bytes[i] !== 0x0a) i++;
    else if (c === 0x2f && bytes[i + 1] === 0x2a) {
      const end = bytes.indexOf('*/', i + 2);
      i = end < 0 || end >= to ? to : end + 2;
    } else break;
  }
  return i;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * Parses a migration file into its statements with PostgreSQL's parser.
 * SQL the parser cannot read is a `UserError` naming the file and the line
 * (the server would refuse it too).
 */
export async function parseMigration(file: string, sql: string): Promise<MigrationStatement[]> {
  const bytes = Buffer.from(sql, 'utf8');
  let result: ParseResult;
  try {
    result = await libpgQuery().parse(sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (error instanceof Error ? error.message : String(error));
    // cursorPosition is a character offset into the text.
    const line = details?.cursorPosition === undefined ? undefined : sql.slice(0, details.cursorPosition).split('\n').length;
    throw new UserError(
      `${file}${line ? `, line ${line}` : ''}: PostgreSQL's parser cannot read this migration: ${message}.`,
      'Fix the SQL (the server would refuse it too: e.g. `RENAME TABLE a TO b` is not PostgreSQL, `ALTER TABLE a RENAME TO b` is), then lint again.',
    );
  }
  const out: MigrationStatement[] = [];
  let previousEnd = 0;
  for (const s of result.stmts ?? []) {
    const location = s.stmt_location ?? 0;
    const end = s.stmt_len ? location + s.stmt_len : bytes.length;
    const start = firstToken(bytes, Math.max(location, previousEnd), end);
    const preamble = bytes.subarray(previousEnd, start).toString('utf8');
    const allows = preamble.split('\n').flatMap((l) => ALLOW.exec(l)?.[1]?.split(',').map((r) => r.trim().toLowerCase()) ?? []);
    out.push({ file, line: lineAt(bytes, start), text: bytes.subarray(start, end).toString('utf8').trim(), node: s.stmt, allows });
    previousEnd = end + 1;
  }
  return out;
}
