import { describe, expect, it } from 'vitest';
import { lintStatements, type LintedStatement } from '../../src/migrations/lint.ts';
import { parseMigration } from '../../src/migrations/statements.ts';

async function lint(sql: string): Promise<LintedStatement[]> {
  return lintStatements(await parseMigration('m.sql', sql));
}
async function one(sql: string) {
  const [s] = await lint(sql);
  expect(s!.judgements).toHaveLength(1);
  return { ...s!.judgements[0]!, blocking: s!.blocking };
}

describe('migration lint: the seed\'s examples (database-strategy.md, "Safe Migrations" / "Dangerous Migrations")', () => {
  it('judges the seed\'s safe additions safe: a nullable column, a column with a constant default (catalog-only since PostgreSQL 11)', async () => {
    for (const sql of ['ALTER TABLE users ADD COLUMN nickname VARCHAR;', "ALTER TABLE users ADD COLUMN status VARCHAR DEFAULT 'active';"]) {
      const j = await one(sql);
      expect(j, sql).toMatchObject({ rule: 'add-column', lock: 'ACCESS EXCLUSIVE', lockHeld: 'brief', rewrites: 'no', losesData: false, dangerous: false });
    }
  });

  it('flags the seed\'s "safe on an empty table" UNIQUE constraint: it builds the index under ACCESS EXCLUSIVE, safe form CONCURRENTLY + USING INDEX', async () => {
    const j = await one('ALTER TABLE users ADD CONSTRAINT unique_email UNIQUE (email);');
    expect(j).toMatchObject({ rule: 'add-constraint', lock: 'ACCESS EXCLUSIVE', lockHeld: 'long', dangerous: true });
    expect(j.why).toMatch(/empty table/);
    expect(j.safe).toMatch(/CREATE UNIQUE INDEX CONCURRENTLY .* USING INDEX/);
  });

  it('judges the seed\'s "safe rename" sequence step by step: the DROP and RENAME are not safe without code first', async () => {
    const s = await lint('ALTER TABLE users ADD COLUMN email_new VARCHAR;\nUPDATE users SET email_new = email;\nALTER TABLE users DROP COLUMN email;\nALTER TABLE users RENAME COLUMN email_new TO email;');
    expect(s.map((x) => [x.line, x.judgements[0]!.rule, x.judgements[0]!.dangerous])).toEqual([
      [1, 'add-column', false],
      [2, 'update-all', true],
      [3, 'drop-column', true],
      [4, 'rename', true],
    ]);
    expect(s[2]!.judgements[0]!.losesData).toBe(true);
    expect(s[1]!.judgements[0]!.safe).toMatch(/batches/);
  });

  it('judges each of the seed\'s dangerous migrations dangerous, with the lock, rewrite and data-loss facts', async () => {
    expect(await one('ALTER TABLE users DROP COLUMN phone;')).toMatchObject({ rule: 'drop-column', lock: 'ACCESS EXCLUSIVE', rewrites: 'no', losesData: true, dangerous: true, blocking: ['drop-column'] });
    expect(await one('ALTER TABLE payments ALTER COLUMN amount TYPE TEXT;')).toMatchObject({ rule: 'alter-column-type', lock: 'ACCESS EXCLUSIVE', lockHeld: 'long', losesData: true, dangerous: true });
    expect(await one('ALTER TABLE users DROP CONSTRAINT users_email_unique;')).toMatchObject({ rule: 'drop-constraint', lock: 'ACCESS EXCLUSIVE', dangerous: true });
    // The seed's "RENAME TABLE users TO user_accounts" is not PostgreSQL (see the parse-error test); its PostgreSQL form:
    expect(await one('ALTER TABLE users RENAME TO user_accounts;')).toMatchObject({ rule: 'rename', lock: 'ACCESS EXCLUSIVE', dangerous: true });
  });
});

describe('migration lint: PostgreSQL 15 locking facts and safe forms', () => {
  it('rewrites: volatile defaults, serial, identity; not a stable default; NOT NULL without default fails on rows', async () => {
    expect(await one('ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT clock_timestamp();')).toMatchObject({ rule: 'add-column-rewrite', rewrites: 'yes', lockHeld: 'long', dangerous: true });
    expect(await one('ALTER TABLE t ADD COLUMN n bigserial;')).toMatchObject({ rule: 'add-column-rewrite', rewrites: 'yes' });
    expect(await one('ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;')).toMatchObject({ rule: 'add-column-rewrite', rewrites: 'yes' });
    expect(await one('ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT now();')).toMatchObject({ rule: 'add-column', rewrites: 'no', dangerous: false });
    expect(await one('ALTER TABLE t ADD COLUMN x int NOT NULL;')).toMatchObject({ rule: 'add-column-not-null', dangerous: true });
  });

  it('type changes: a varchar widening may be binary-coercible (still ACCESS EXCLUSIVE); others rewrite', async () => {
    expect(await one('ALTER TABLE t ALTER COLUMN name TYPE varchar(200);')).toMatchObject({ rewrites: 'maybe', lock: 'ACCESS EXCLUSIVE' });
    expect(await one('ALTER TABLE t ALTER COLUMN n TYPE bigint;')).toMatchObject({ rewrites: 'yes' });
  });

  it('SET NOT NULL scans under ACCESS EXCLUSIVE; the safe form is a NOT VALID check then VALIDATE', async () => {
    const j = await one('ALTER TABLE t ALTER COLUMN c SET NOT NULL;');
    expect(j).toMatchObject({ rule: 'set-not-null', rewrites: 'scan', dangerous: true });
    expect(j.safe).toMatch(/NOT VALID.*VALIDATE CONSTRAINT/);
    expect(await one('ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;')).toMatchObject({ dangerous: false, lockHeld: 'brief' });
    expect(await one('ALTER TABLE t VALIDATE CONSTRAINT c_nn;')).toMatchObject({ lock: 'SHARE UPDATE EXCLUSIVE', dangerous: false });
    expect(await one('ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);')).toMatchObject({ lock: 'SHARE ROW EXCLUSIVE', rewrites: 'scan', dangerous: true });
  });

  it('indexes: CREATE INDEX takes SHARE (writes wait), CONCURRENTLY takes SHARE UPDATE EXCLUSIVE', async () => {
    expect(await one('CREATE INDEX i ON t (a);')).toMatchObject({ rule: 'create-index', lock: 'SHARE', dangerous: true });
    expect(await one('CREATE INDEX CONCURRENTLY i ON t (a);')).toMatchObject({ rule: 'create-index', lock: 'SHARE UPDATE EXCLUSIVE', dangerous: false });
    expect(await one('DROP INDEX CONCURRENTLY i;')).toMatchObject({ lock: 'SHARE UPDATE EXCLUSIVE', dangerous: false });
  });

  it('data loss: DROP TABLE, TRUNCATE, DELETE without WHERE', async () => {
    expect(await one('DROP TABLE users CASCADE;')).toMatchObject({ rule: 'drop-table', losesData: true, dangerous: true });
    expect(await one('TRUNCATE payments;')).toMatchObject({ rule: 'truncate', losesData: true, dangerous: true });
    expect(await one('DELETE FROM payments;')).toMatchObject({ rule: 'delete-all', dangerous: true });
    expect(await one("DELETE FROM payments WHERE status = 'failed';")).toMatchObject({ rule: 'delete', losesData: true, dangerous: false });
  });

  it('a table created earlier in the same migration is new: its index and constraints are safe', async () => {
    const s = await lint('CREATE TABLE audit (id int, at timestamptz);\nCREATE INDEX audit_at ON audit (at);\nALTER TABLE audit ALTER COLUMN at SET NOT NULL;');
    expect(s.map((x) => x.blocking)).toEqual([[], [], []]);
  });

  it('an override comment on the lines before a statement allows its rule, and only that rule, for that statement only', async () => {
    const s = await lint('-- pgdrill: allow drop-column\nALTER TABLE users DROP COLUMN phone;\nALTER TABLE users DROP COLUMN fax;\n-- pgdrill: allow rename, truncate\nALTER TABLE users DROP COLUMN x, ALTER COLUMN y TYPE text;');
    expect(s.map((x) => [x.line, x.allowed, x.blocking])).toEqual([
      [2, ['drop-column'], []],
      [3, [], ['drop-column']],
      [5, ['rename', 'truncate'], ['drop-column', 'alter-column-type']],
    ]);
  });

  it('notes a missing lock_timeout once per file, and not after SET lock_timeout', async () => {
    const without = await lint('ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;');
    expect(without.map((s) => s.notes.length)).toEqual([1, 0]);
    const withTimeout = await lint("SET lock_timeout = '3s';\nALTER TABLE t ADD COLUMN a int;");
    expect(withTimeout.flatMap((s) => s.notes)).toEqual([]);
  });

  it('a statement the parser cannot read is an error naming the file and the line', async () => {
    await expect(parseMigration('prisma/migrations/1_x/migration.sql', 'ALTER TABLE users ADD COLUMN a int;\n\n-- the seed\'s example\nRENAME TABLE users TO user_accounts;\n')).rejects.toThrow(
      /^prisma\/migrations\/1_x\/migration\.sql, line 4: PostgreSQL's parser cannot read this migration: syntax error at or near "RENAME"/,
    );
  });
});
