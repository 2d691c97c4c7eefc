import { readFileSync } from 'node:fs';
import { UserError } from '../core/errors.ts';
import { relationName, type Judgement, type RuleContext } from './judgement.ts';
import { findMigrationFiles } from './migration-files.ts';
import { ruleFor } from './rules/index.ts';
import { parseMigration, type MigrationStatement } from './statements.ts';

/** One statement, judged: its place, its text, what each of its actions does, and which dangerous ones no comment allows. */
export interface LintedStatement {
  file: string;
  line: number;
  sql: string;
  judgements: Judgement[];
  /** Rules allowed by an override comment before the statement. */
  allowed: string[];
  /** Rules of dangerous judgements no override allows: these make the lint fail (exit 2). */
  blocking: string[];
  /** Remarks that do not block: a lock taken with no lock_timeout set. */
  notes: string[];
}

/** The lint of a set of migration files. */
export interface LintReport {
  files: string[];
  statements: LintedStatement[];
  /** Statements with at least one blocking judgement. */
  blocked: number;
}

/** A statement no rule knows: the lock of ALTER TABLE forms not listed (ACCESS EXCLUSIVE unless the docs say otherwise), or none. */
function fallback(kind: string, table: string | undefined, node: { name?: string }): Judgement {
  if (kind.startsWith('AT_')) {
    return { rule: 'alter-table', action: kind.slice(3).replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(), table, lock: 'ACCESS EXCLUSIVE', lockHeld: 'brief', rewrites: 'no', losesData: false, dangerous: false, why: 'A catalog change: ALTER TABLE takes ACCESS EXCLUSIVE unless the documentation says otherwise, held briefly.' };
  }
  const created = kind === 'CreateStmt' || kind === 'CreateTableAsStmt' || kind === 'ViewStmt';
  if (kind === 'VariableSetStmt') return { rule: 'other', action: `SET ${node.name ?? ''}`.trim(), table, lock: null, lockHeld: 'none', rewrites: 'no', losesData: false, dangerous: false, why: 'A session setting.' };
  const action = { CreateStmt: 'CREATE TABLE', CreateTableAsStmt: 'CREATE TABLE AS', ViewStmt: 'CREATE VIEW' }[kind] ?? kind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  return { rule: 'other', action, table, lock: null, lockHeld: 'none', rewrites: 'no', losesData: false, dangerous: false, why: created ? 'Creates a new object: no lock on the tables the service uses (a REFERENCES clause takes SHARE ROW EXCLUSIVE on the referenced table, briefly).' : 'No table rewrite or data loss known for this statement.' };
}

/** The node kinds of a statement: each ALTER TABLE subcommand, or the statement itself (DropStmt by what it drops). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function actions(statement: MigrationStatement): Array<{ kind: string; node: any; table?: string }> {
  const [type, body] = Object.entries(statement.node)[0] ?? ['unknown', {}];
  if (type === 'AlterTableStmt' && body.objtype === 'OBJECT_TABLE') {
    const table = relationName(body.relation);
    return (body.cmds ?? []).map((c: { AlterTableCmd: { subtype: string } }) => ({ kind: c.AlterTableCmd.subtype, node: c.AlterTableCmd, table }));
  }
  if (type === 'DropStmt') return [{ kind: `DropStmt:${body.removeType}`, node: body }];
  return [{ kind: type, node: body, table: relationName(body.relation) }];
}

const LONG_LOCKS = new Set(['ACCESS EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE']);

/** Judges the statements of one file, in order (a table created earlier in the file is new: nothing uses it yet). */
export function lintStatements(statements: MigrationStatement[]): LintedStatement[] {
  const created = new Set<string>();
  let lockTimeout = false;
  let timeoutNoted = false; // said once per file
  const out: LintedStatement[] = [];
  for (const statement of statements) {
    const [type, body] = Object.entries(statement.node)[0] ?? ['unknown', {}];
    const judgements = actions(statement).map(({ kind, node, table }) => {
      const ctx: RuleContext = { kind, table, createdHere: (t) => t !== undefined && created.has(t) };
      const judged = ruleFor(kind)?.judge(node, ctx) ?? fallback(kind, table, node);
      if (judged.dangerous && ctx.createdHere(judged.table ?? table)) {
        return { ...judged, dangerous: false, losesData: false, why: `${judged.why} Here the table is created earlier in this migration: it has no rows and no code uses it yet.` };
      }
      return judged;
    });
    if (type === 'CreateStmt') {
      const name = relationName(body.relation);
      if (name) created.add(name);
    }
    if (type === 'VariableSetStmt' && body.name === 'lock_timeout') lockTimeout = body.kind !== 'VAR_RESET';
    const needsTimeout = !lockTimeout && !timeoutNoted && judgements.some((j) => j.lock && LONG_LOCKS.has(j.lock) && !created.has(j.table ?? ''));
    if (needsTimeout) timeoutNoted = true;
    const notes =
      needsTimeout
        ? ["no SET lock_timeout before it: if a long transaction holds the table, this statement waits for its lock and every query on the table queues behind it. Start the migration with SET lock_timeout = '3s' and retry on failure."]
        : [];
    const allowed = statement.allows;
    const blocking = [...new Set(judgements.filter((j) => j.dangerous && !allowed.includes(j.rule)).map((j) => j.rule))];
    out.push({ file: statement.file, line: statement.line, sql: statement.text, judgements, allowed, blocking, notes });
  }
  return out;
}

/**
 * Lints migration files and directories (Prisma migration folders are
 * found: `prisma/migrations/<name>/migration.sql`). A path that does not
 * exist, a directory without migrations, or SQL the parser cannot read is a
 * `UserError`.
 */
export async function lintMigrations(paths: string[]): Promise<LintReport> {
  const files = findMigrationFiles(paths);
  const statements: LintedStatement[] = [];
  for (const file of files) {
    let sql: string;
    try {
      sql = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UserError(`Cannot read the migration file ${file}: ${(error as Error).message}.`, 'Check the path and its permissions.');
    }
    statements.push(...lintStatements(await parseMigration(file, sql)));
  }
  return { files, statements, blocked: statements.filter((s) => s.blocking.length > 0).length };
}
