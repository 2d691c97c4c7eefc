import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

describe('pgdrill migration lint (the real CLI)', () => {
  let dir: string;
  const migration = (name: string, sql: string) => {
    mkdirSync(path.join(dir, 'app/prisma/migrations', name), { recursive: true });
    writeFileSync(path.join(dir, 'app/prisma/migrations', name, 'migration.sql'), sql);
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgdrill-test-miglint-'));
    migration('20260101000000_add_nickname', "SET lock_timeout = '3s';\nALTER TABLE users ADD COLUMN nickname VARCHAR;\nCREATE INDEX CONCURRENTLY users_nickname_idx ON users (nickname);\n");
    migration('20260102000000_drop_phone', '-- the phone column moved to profiles in release 41\n-- pgdrill: allow drop-column\nALTER TABLE users DROP COLUMN phone;\n');
    writeFileSync(path.join(dir, 'dangerous.sql'), 'ALTER TABLE payments ALTER COLUMN amount TYPE TEXT;\n');
    writeFileSync(path.join(dir, 'broken.sql'), 'ALTER TABLE users ADD COLUMN a int;\nRENAME TABLE users TO user_accounts;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds Prisma migration folders in a project directory; safe or allowed statements exit 0', async () => {
    const run = await runCli(['migration', 'lint', path.join(dir, 'app')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/20260101000000_add_nickname\/migration\.sql\n  line 1: SET lock_timeout = '3s'\n    ok +other: SET lock_timeout .*\n  line 2: ALTER TABLE users ADD COLUMN nickname VARCHAR\n    ok +add-column/);
    expect(run.stdout).toMatch(/line 3: ALTER TABLE users DROP COLUMN phone\n    allowed drop-column: .*CAN LOSE DATA/);
    expect(run.stdout).toMatch(/4 statement\(s\) in 2 file\(s\): 1 dangerous, 0 without an override comment\.$/m);
  });

  it('exits 2 on a dangerous statement without an override, with the safe form; --json gives the same judgement', async () => {
    const text = await runCli(['migration', 'lint', path.join(dir, 'dangerous.sql'), path.join(dir, 'app/prisma/migrations')]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/DANGER alter-column-type: ALTER COLUMN amount TYPE text on payments — lock ACCESS EXCLUSIVE \(held for the whole operation\) · may rewrite the table · CAN LOSE DATA/);
    expect(text.stdout).toMatch(/safe form: Add a new column of the new type/);
    expect(text.stdout).toMatch(/-- pgdrill: allow alter-column-type/);
    const json = await runCli(['migration', 'lint', '--json', path.join(dir, 'dangerous.sql')]);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { blocked: number; statements: Array<{ line: number; blocking: string[]; judgements: Array<{ lock: string; rewrites: string; losesData: boolean }> }> };
    expect(report.blocked).toBe(1);
    expect(report.statements[0]).toMatchObject({ line: 1, blocking: ['alter-column-type'], judgements: [{ lock: 'ACCESS EXCLUSIVE', rewrites: 'maybe', losesData: true }] });
  });

  it('SQL the parser cannot read, or a missing path, is a one-paragraph error naming it, exit 1', async () => {
    const broken = await runCli(['migration', 'lint', path.join(dir, 'broken.sql')]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toContain(`${path.join(dir, 'broken.sql')}, line 2: PostgreSQL's parser cannot read this migration: syntax error at or near "RENAME"`);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['migration', 'lint', path.join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope does not exist/);
    const empty = await runCli(['migration', 'lint', path.join(dir, 'app/prisma')]);
    expect(empty.code).toBe(0); // app/prisma holds migrations/ : found
  });
});
