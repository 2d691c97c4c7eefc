import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRunbook } from '../../src/core/runbook.ts';
import { loadRunbook } from '../../src/engine/catalog.ts';
import { openGuideSession } from '../../src/guide/open-session.ts';
import { UrlTarget } from '../../src/guide/url-target.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import { Lab } from '../../src/lab/lab.ts';
import { processesMatching, tempDir } from '../helpers/test-lab.ts';

const labDir = path.join(tempDir('guide-lab'), 'lab');
const journal = (name: string) => path.join(tempDir('guide-journal'), `${name}.jsonl`);

function labSecrets(): string[] {
  const state = JSON.parse(readFileSync(path.join(labDir, 'lab.json'), 'utf8'));
  return [state.superuserPassword, ...Object.values(state.servicePasswords as Record<string, string>)];
}

/** A step that terminates the sessions of one application on payments_db: destructive, on a real server. */
const terminateRunbook = defineRunbook({
  id: 'terminate-test',
  title: 'Terminate the test sessions',
  summary: 'A destructive step for the tests.',
  steps: [{
    id: 'terminate-idle',
    title: 'Terminate the idle test sessions',
    why: 'They hold connections.',
    expect: 'Their backends are gone.',
    destructive: { touches: 'the sessions of application guide-test-idle on payments_db' },
    command: { kind: 'sql', database: 'payments_db', text: "SELECT count(*)::int AS terminated FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'guide-test-idle') t" },
  }],
});

async function idleClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'guide-test-idle' });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function testSessions(lab: Lab): Promise<number> {
  return Number((await lab.psql('payments_db', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'guide-test-idle'")).trim());
}

describe('guided session against the real lab', () => {
  let lab: Lab;

  it('walks connection-loss: the server checks run, the steps that need the drill become manual, and a lab it started is stopped', async () => {
    const file = journal('connection-loss');
    const opened = await openGuideSession({ runbook: await loadRunbook('connection-loss'), target: { kind: 'lab', labDir }, journalPath: file, mode: 'plain', allowDestructive: false });
    expect(opened.startedLab).toBe(true);
    const { session } = opened;
    await session.run();
    expect(session.state.steps[0]).toMatchObject({ status: 'done', by: 'automatic' });
    expect(session.state.steps[0]!.output.join('\n')).toMatch(/accepting connections/);
    await session.run();
    expect(session.state.steps[1]).toMatchObject({ status: 'done', verification: { ok: true } });
    expect(session.state.steps[1]!.verification!.detail).toMatch(/^\d+ of 97 client connections in use$/);
    await session.run();
    expect(session.state.steps[2]).toMatchObject({ status: 'manual' });
    expect(session.state.steps[2]!.manualReason).toMatch(/fault proxy/);
    await session.completeManual();
    expect(session.state.steps[2]).toMatchObject({ status: 'done', by: 'operator' });
    await session.run();
    expect(session.state.steps[3]).toMatchObject({ status: 'manual' });
    await session.completeManual();
    expect(session.state.finished).toBe(true);
    expect(await opened.close()).toEqual([]);
    expect(await processesMatching(labDir)).toEqual([]);
    const text = readFileSync(file, 'utf8');
    for (const secret of labSecrets()) expect(text).not.toContain(secret);
  });

  describe('with the lab already up', () => {
    beforeAll(async () => {
      lab = new Lab({ labDir });
      await lab.up('persistent');
    });
    afterAll(async () => {
      await lab.down();
    });

    it('runs a destructive step on a real backend only after the lab name is typed, and leaves a lab it did not start running', async () => {
      const client = await idleClient(lab.serviceUrl('payments'));
      try {
        const opened = await openGuideSession({ runbook: terminateRunbook, target: { kind: 'lab', labDir }, journalPath: journal('destructive'), mode: 'plain', allowDestructive: false });
        expect(opened.startedLab).toBe(false);
        const { session } = opened;
        expect(session.confirmationFor()).toEqual({ expected: lab.name, touches: 'the sessions of application guide-test-idle on payments_db' });
        expect((await session.run('payments_db')).ok).toBe(false);
        expect(await testSessions(lab)).toBe(1);
        expect((await session.run(lab.name)).ok).toBe(true);
        expect(session.state.steps[0]!.output).toEqual(['terminated=1']);
        await expect.poll(() => testSessions(lab)).toBe(0);
        await opened.close();
        expect(await lab.isRunning()).toBe(true);
      } finally {
        await client.end().catch(() => {});
      }
    });

    it('acts on an existing server through --url: refuses destructive steps unless allowed, asks for host:port, never journals the password', async () => {
      const url = lab.adminUrl('postgres');
      const password = new URL(url).password;
      const target = new UrlTarget(url);
      expect(target).toMatchObject({ kind: 'url', isLab: false, name: `127.0.0.1:${lab.endpoint.port}` });
      expect(target.adminUrl('payments_db')).toBe(url.replace(/\/postgres$/, '/payments_db'));
      expect(target.clientEnv()).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: String(lab.endpoint.port), PGUSER: 'pgdrill', PGDATABASE: 'postgres' });

      const file = journal('url');
      const walk = await openGuideSession({ runbook: await loadRunbook('connection-loss'), target: { kind: 'url', url }, journalPath: file, mode: 'plain', allowDestructive: false });
      await walk.session.run();
      await walk.session.run();
      expect(walk.session.state.steps.slice(0, 2).map((s) => s.status)).toEqual(['done', 'done']);
      walk.session.note(`connected with ${url}`);
      await walk.close();
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(password);
      expect(text).toContain('postgres://pgdrill:***@127.0.0.1');
      expect(readJournal(file).records[0]).toMatchObject({ target: { kind: 'url', name: target.name, isLab: false } });

      const client = await idleClient(lab.serviceUrl('payments'));
      try {
        const refused = await openGuideSession({ runbook: terminateRunbook, target: { kind: 'url', url }, journalPath: journal('url-refused'), mode: 'plain', allowDestructive: false });
        expect(refused.session.nextAction()).toBe('refused');
        expect((await refused.session.run(target.name)).message).toMatch(/--allow-destructive/);
        await refused.close();
        expect(await testSessions(lab)).toBe(1);
        const allowed = await openGuideSession({ runbook: terminateRunbook, target: { kind: 'url', url }, journalPath: journal('url-allowed'), mode: 'plain', allowDestructive: true });
        expect(allowed.session.confirmationFor()?.expected).toBe(target.name);
        expect((await allowed.session.run(target.name)).ok).toBe(true);
        await allowed.close();
        await expect.poll(() => testSessions(lab)).toBe(0);
      } finally {
        await client.end().catch(() => {});
      }
    });

    it('refuses to resume a journal against another target', async () => {
      const file = journal('mismatch');
      const first = await openGuideSession({ runbook: await loadRunbook('connection-loss'), target: { kind: 'lab', labDir }, journalPath: file, mode: 'plain', allowDestructive: false });
      await first.close('quit');
      await expect(openGuideSession({ runbook: await loadRunbook('connection-loss'), target: { kind: 'url', url: lab.adminUrl('postgres') }, resume: readJournal(file), mode: 'plain', allowDestructive: false }))
        .rejects.toThrow(/was recorded against lab:lab; this session would act on 127\.0\.0\.1:/);
      await expect(openGuideSession({ runbook: terminateRunbook, target: { kind: 'lab', labDir }, resume: readJournal(file), mode: 'plain', allowDestructive: false }))
        .rejects.toThrow(/is a session of the runbook "connection-loss", not "terminate-test"/);
    });
  });
});
