/** PostgreSQL's table lock levels (PostgreSQL 15 docs, "Explicit Locking"), weakest first. */
export type LockLevel = 'ACCESS SHARE' | 'ROW SHARE' | 'ROW EXCLUSIVE' | 'SHARE UPDATE EXCLUSIVE' | 'SHARE' | 'SHARE ROW EXCLUSIVE' | 'EXCLUSIVE' | 'ACCESS EXCLUSIVE';

/**
 * What a statement (or one subcommand of an ALTER TABLE) does to a live
 * table, by PostgreSQL's documented behaviour: the lock it takes, whether it
 * rewrites the table ('scan': reads every row under the lock without
 * rewriting; 'maybe': depends on what the SQL alone cannot show), whether
 * it can lose data, and, when it is dangerous, the safe form. `rule` is the
 * name an override comment uses (`-- pgdrill: allow <rule>`).
 */
export interface Judgement {
  rule: string;
  /** What the statement does, in a few words: "DROP COLUMN phone". */
  action: string;
  /** The table it acts on, as written, when there is one. */
  table?: string;
  /** The strongest table lock it takes, or null for none on an existing table. */
  lock: LockLevel | null;
  /** How long the lock is held: only briefly (a catalog change), or for a whole scan, rewrite or build. */
  lockHeld: 'brief' | 'long' | 'none';
  rewrites: 'yes' | 'no' | 'maybe' | 'scan';
  losesData: boolean;
  /** Blocks CI (exit 2) unless an override comment allows its rule. */
  dangerous: boolean;
  /** Why, in a sentence or two. */
  why: string;
  /** The safe alternative, when there is one. */
  safe?: string;
}

/** What a rule knows besides the node: the table of the statement, and whether that table is created by the same file. */
export interface RuleContext {
  /** The node type matched: a statement type (`VacuumStmt`) or an ALTER TABLE subcommand (`AT_DropColumn`). */
  kind: string;
  table?: string;
  createdHere: (table: string | undefined) => boolean;
}

/**
 * One rule: judges the parse nodes it names, either a statement type of
 * PostgreSQL's parse tree (`IndexStmt`, `TruncateStmt`) or an ALTER TABLE
 * subcommand type (`AT_DropColumn`). `node` is that node's JSON as
 * libpg-query returns it.
 */
export interface Rule {
  matches: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  judge(node: any, ctx: RuleContext): Judgement;
}

/** The name of a column's type as written (`varchar`, `numeric`), from a TypeName node. */
export function typeName(node: { names?: Array<{ String?: { sval?: string } }> } | undefined): string {
  const names = (node?.names ?? []).map((n) => n.String?.sval ?? '').filter((n) => n && n !== 'pg_catalog');
  return names.join('.');
}

/** `schema.table` (or `table`) of a RangeVar node. */
export function relationName(node: { schemaname?: string; relname?: string } | undefined): string | undefined {
  if (!node?.relname) return undefined;
  return node.schemaname ? `${node.schemaname}.${node.relname}` : node.relname;
}
