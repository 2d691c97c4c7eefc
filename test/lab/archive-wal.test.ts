import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHIVE_SCRIPT_SOURCE } from '../../src/lab/wal-archiver.ts';
import { removeTempDirs, tempDir } from '../helpers/test-lab.ts';

const NAME = '000000010000000000000003';

function archive(source: string, archiveDir: string, name = NAME) {
  const run = spawnSync('sh', [ARCHIVE_SCRIPT_SOURCE, source, archiveDir, name], { encoding: 'utf8' });
  return { code: run.status, stderr: run.stderr };
}

function setup() {
  const dir = tempDir('archive-wal');
  const archiveDir = path.join(dir, 'archive');
  spawnSync('mkdir', [archiveDir]);
  const source = path.join(dir, NAME);
  writeFileSync(source, Buffer.alloc(64 * 1024, 7));
  return { dir, archiveDir, source };
}

describe('archive-wal, the lab\'s archive_command', () => {
  afterAll(removeTempDirs);

  it('archives a new file under its name, leaving no temporary file', () => {
    const { archiveDir, source } = setup();
    const run = archive(source, archiveDir);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(archiveDir, NAME))).toEqual(readFileSync(source));
    expect(readdirSync(archiveDir)).toEqual([NAME]);
  });

  it('accepts a file the archive already holds with identical contents (a second archiving after a failover)', () => {
    const { archiveDir, source } = setup();
    expect(archive(source, archiveDir).code).toBe(0);
    const again = archive(source, archiveDir);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(archiveDir)).toEqual([NAME]);
  });

  it('refuses, loudly, a file whose name the archive holds with different contents, and keeps the archived one', () => {
    const { archiveDir, source } = setup();
    expect(archive(source, archiveDir).code).toBe(0);
    const archived = readFileSync(path.join(archiveDir, NAME));
    writeFileSync(source, Buffer.alloc(64 * 1024, 9));
    const refused = archive(source, archiveDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/REFUSED: .*000000010000000000000003 already exists with different contents/);
    expect(readFileSync(path.join(archiveDir, NAME))).toEqual(archived);
    expect(readdirSync(archiveDir)).toEqual([NAME]);
  });

  it('fails when the source is missing or the archive directory is not writable, never reporting success', () => {
    const { archiveDir, dir } = setup();
    const missing = archive(path.join(dir, 'nope'), archiveDir);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/does not exist/);
    const { source } = setup();
    const noDir = archive(source, path.join(dir, 'no-such-archive'));
    expect(noDir.code).not.toBe(0);
    expect(existsSync(path.join(dir, 'no-such-archive', NAME))).toBe(false);
  });
});
