import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import accidentalDeletion from '../../scenarios/accidental-deletion.ts';
import { runDrill } from '../../src/engine/drill.ts';
import { sleep } from '../../src/util/sleep.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startTestLab } from '../helpers/test-lab.ts';

/**
 * The state a failover left behind in the field: the new primary holds a
 * `.ready` file for a segment the archive already has. Made here on
 * purpose: a segment is archived, then marked ready again.
 */
describe('the lab\'s WAL archiver after a segment is offered twice', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('archiver');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  /** Writes some WAL and switches to the next segment (a switch with nothing written does nothing); returns the finished segment. */
  async function writeAndSwitch(): Promise<string> {
    await env.lab.query('postgres', 'CREATE TABLE IF NOT EXISTS archiver_probe (n int); INSERT INTO archiver_probe VALUES (1)');
    const [row] = await env.lab.query('postgres', 'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS segment');
    await env.lab.query('postgres', 'SELECT pg_switch_wal()');
    return String(row!.segment);
  }

  /** Finishes a segment, waits until it is archived, and returns its name. */
  async function archiveOneSegment(): Promise<string> {
    const segment = await writeAndSwitch();
    for (let i = 0; i < 100; i++) {
      const health = await env.lab.archiverHealth();
      if (health.lastArchivedWal !== null && health.lastArchivedWal >= segment) return segment;
      await sleep(100);
    }
    throw new Error(`${segment} was not archived within 10 s`);
  }

  /** Marks an archived segment as ready to archive again, as a promoted replica does. */
  function offerAgain(segment: string): void {
    const status = path.join(env.lab.paths.dataDir, 'pg_wal', 'archive_status');
    expect(existsSync(path.join(env.lab.paths.dataDir, 'pg_wal', segment))).toBe(true);
    renameSync(path.join(status, `${segment}.done`), path.join(status, `${segment}.ready`));
  }

  it('accepts a segment the archive already holds with identical contents, and goes on archiving', async () => {
    const segment = await archiveOneSegment();
    const before = await env.lab.archiverHealth();
    offerAgain(segment);
    await writeAndSwitch(); // wakes the archiver
    for (let i = 0; i < 100 && (await env.lab.archiverHealth()).archivedCount < before.archivedCount + 2; i++) await sleep(100);
    const after = await env.lab.archiverHealth();
    expect(after.archivedCount).toBeGreaterThanOrEqual(before.archivedCount + 2);
    expect(after.failedCount).toBe(before.failedCount);
    expect(after.problem).toBeNull();
    expect(await archiveOneSegment()).toMatch(/^[0-9A-F]{24}$/);
  });

  it('refuses one whose archived copy differs, shows the problem in lab status, and data-loss drills refuse to start', async () => {
    const segment = await archiveOneSegment();
    const archived = path.join(env.lab.paths.archiveDir, segment);
    const bytes = readFileSync(archived);
    bytes[4096] = bytes[4096]! ^ 0xff;
    writeFileSync(archived, bytes);
    offerAgain(segment);
    await writeAndSwitch();
    for (let i = 0; i < 100 && !(await env.lab.archiverHealth()).failing; i++) await sleep(100);
    const health = await env.lab.archiverHealth();
    expect(health).toMatchObject({ failing: true, lastFailedWal: segment });
    expect(health.waiting).toBeGreaterThanOrEqual(1);
    expect(readFileSync(env.lab.paths.logFile, 'utf8')).toMatch(new RegExp(`archive-wal: REFUSED: .*${segment} already exists with different contents`));

    const status = await runCli(['lab', 'status', '--lab-dir', env.labDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`archiver +FAILING: .*last ${segment}`));
    expect(status.stdout).toMatch(/PROBLEM +WAL archiving is failing: .* nothing after .* can be recovered by PITR/);
    const json = JSON.parse((await runCli(['lab', 'status', '--lab-dir', env.labDir, '--json'])).stdout);
    expect(json.archiver).toMatchObject({ failing: true, lastFailedWal: segment });

    const { result } = await runDrill(accidentalDeletion, { labDir: env.labDir });
    expect(result.status).toBe('error');
    expect(result.reasons.join('\n')).toMatch(/The scenario "accidental-deletion" recovers from the WAL archive, and the lab's archiver is failing/);
    expect(result.requests).toBe(0);
  });
});
