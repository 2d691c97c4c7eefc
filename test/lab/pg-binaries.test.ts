import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPgBinaries, MIN_LAB_PG_MAJOR } from '../../src/lab/pg-binaries.ts';
import { runCli } from '../helpers/run-cli.ts';
import { removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/** A bin directory whose programs exist and whose `postgres --version` says `version`. */
function fakeBinDir(version: string): string {
  const dir = path.join(tempDir('fake-pg'), 'bin');
  mkdirSync(dir, { recursive: true });
  for (const name of ['initdb', 'pg_ctl', 'postgres', 'psql', 'pg_isready']) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} (PostgreSQL) ${version}"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

describe('PostgreSQL binaries: the lab\'s minimum version', () => {
  afterAll(removeTempDirs);

  it(`finds binaries by PG_BIN and reads their major version`, () => {
    const pg = findPgBinaries({ ...process.env, PG_BIN: fakeBinDir('16.4') });
    expect(pg).toMatchObject({ major: 16, foundBy: 'PG_BIN' });
  });

  it(`refuses PostgreSQL older than ${MIN_LAB_PG_MAJOR} for the lab with a clear message, creating nothing`, async () => {
    const labDir = path.join(tempDir('old-pg'), 'lab');
    const run = await runCli(['lab', 'up', '--lab-dir', labDir], { PG_BIN: fakeBinDir('13.9') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PostgreSQL 13 in .*fake-pg.* is too old for pgdrill's lab, which needs 14 or newer/);
    expect(run.stderr).toMatch(/Install PostgreSQL 14 or newer/);
    expect(run.stderr).not.toMatch(/a bug in pgdrill|^\s+at /m);
    expect(existsSync(path.join(labDir, 'lab.json'))).toBe(false);
  });
});
