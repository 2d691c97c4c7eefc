import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.ts';
import { runCli } from '../helpers/run-cli.ts';
import { isAlive, startTestLab } from '../helpers/test-lab.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('lab with a streaming replica', () => {
  let env: Awaited<ReturnType<typeof startTestLab>>;
  beforeAll(async () => {
    env = await startTestLab('replica');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('lab up --replica runs a hot standby on its own port, streaming from the primary, shown by lab status', async () => {
    const run = await runCli(['lab', 'up', '--replica', '--lab-dir', env.labDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Replica is up: streaming hot standby on 127\.0\.0\.1:\d+/);
    const lab = new Lab({ labDir: env.labDir });
    expect(lab.replica!.port).not.toBe(lab.endpoint.port);
    expect((await lab.replicaPsql('postgres', 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
    await lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) VALUES ('aaaaaaaa-0000-0000-0000-000000000001', md5('u')::uuid, 1, 'EUR', 'pending')");
    await expect.poll(async () => (await lab.replicaPsql('payments_db', "SELECT count(*) FROM payments WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'")).trim(), { timeout: 10_000 }).toBe('1');
    const s = await lab.status();
    expect(s.replica).toMatchObject({ running: true, role: 'standby', port: lab.replica!.port });
    expect(s.replica!.stream).toMatchObject({ state: 'streaming', syncState: 'async' });
    expect(s.replica!.stream!.replayBytesBehind).toBeGreaterThanOrEqual(0);
    const text = await runCli(['lab', 'status', '--lab-dir', env.labDir]);
    expect(text.stdout).toMatch(/replica\s+running \(pid \d+\), hot standby, on 127\.0\.0\.1:\d+/);
    expect(text.stdout).toMatch(/replication\s+streaming, async; lag write [^,]+, flush [^,]+, replay [^;]+; behind: flush \d+ bytes, replay \d+ bytes/);
    // A second `lab up --replica` reuses both.
    const again = await runCli(['lab', 'up', '--replica', '--lab-dir', env.labDir]);
    expect(again.stdout).toMatch(/Replica was already up/);
  });

  it('can make the primary wait for the replica at every commit, and forgets it at the next start', async () => {
    const lab = new Lab({ labDir: env.labDir });
    await lab.setSynchronousReplica(true);
    expect((await lab.status()).replica!.stream!.syncState).toBe('sync');
    await lab.setSynchronousReplica(false);
    await expect.poll(async () => (await lab.status()).replica!.stream!.syncState, { timeout: 5000 }).toBe('async');
  });

  it('lab down stops the replica too; lab up starts both again', async () => {
    const lab = new Lab({ labDir: env.labDir });
    const pids = [lab.postmasterPid()!, lab.replicaPid()!];
    await lab.down();
    expect(pids.some(isAlive)).toBe(false);
    expect((await lab.status()).replica!.running).toBe(false);
    const { replicaStarted } = await lab.up('persistent');
    expect(replicaStarted).toBe(true);
    expect((await lab.replicaPsql('postgres', 'SELECT pg_is_in_recovery()')).trim()).toBe('t');
  });

  it('reaps a primary and replica left running by a pgdrill process that was killed', async () => {
    await new Lab({ labDir: env.labDir }).down();
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { Lab } = await import(${JSON.stringify(path.join(root, 'src/lab/lab.ts'))});
      await new Lab({ labDir: ${JSON.stringify(env.labDir)} }).up('ephemeral');
      process.stdout.write('up\\n');
      setInterval(() => {}, 1000);
    `], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const orphans = [new Lab({ labDir: env.labDir }).postmasterPid()!, new Lab({ labDir: env.labDir }).replicaPid()!];
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(orphans.every(isAlive)).toBe(true);
    const lines: string[] = [];
    const lab = new Lab({ labDir: env.labDir, log: (l) => lines.push(l) });
    await lab.up('ephemeral');
    expect(lines.join('\n')).toMatch(/Reaping a lab server left running by pgdrill process/);
    expect(orphans.some(isAlive)).toBe(false);
    expect(lab.replicaPid()).not.toBe(orphans[1]);
    await lab.releaseEphemeral();
    expect((await lab.status()).replica!.running).toBe(false);
  });

  it('after a failover the promoted replica becomes the primary, on the lab port; purge removes everything', async () => {
    const lab = new Lab({ labDir: env.labDir });
    await lab.up('persistent');
    await lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) VALUES ('aaaaaaaa-0000-0000-0000-000000000002', md5('u')::uuid, 1, 'EUR', 'pending')");
    await lab.setSynchronousReplica(true);
    await lab.psql('payments_db', "INSERT INTO payments (id, user_id, amount, currency, status) VALUES ('aaaaaaaa-0000-0000-0000-000000000003', md5('u')::uuid, 1, 'EUR', 'pending')");
    const oldPid = lab.postmasterPid()!;
    process.kill(oldPid, 'SIGKILL');
    await expect.poll(() => isAlive(oldPid)).toBe(false);
    await expect(lab.adoptPromotedReplica()).rejects.toThrow(/still a standby: promote it/);
    await lab.replicaPsql('postgres', 'SELECT pg_promote(true, 30)');
    const port = lab.endpoint.port;
    const { oldDataDir } = await lab.adoptPromotedReplica({ keepOld: true });
    expect(oldDataDir).toMatch(/data\.replaced-/);
    expect(lab.replica).toBeNull();
    expect(lab.endpoint.port).toBe(port);
    expect((await lab.psql('payments_db', "SELECT count(*) FROM payments WHERE id::text LIKE 'aaaaaaaa-0000-0000-0000-00000000000_'")).trim()).toBe('3');
    expect((await lab.psql('postgres', "SELECT pg_is_in_recovery(), current_setting('synchronous_standby_names') = ''")).trim()).toBe('f|t');
    const s = await lab.status();
    expect(s.running).toBe(true);
    expect(s.replica).toBeNull();
    await lab.down({ purge: true });
    expect(existsSync(lab.labDir)).toBe(false);
  });
});
