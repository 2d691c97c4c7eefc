import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRunbook } from '../../src/core/runbook.ts';
import { renderIncidentReport } from '../../src/journal/incident-report.ts';
import { readJournal } from '../../src/journal/journal-reader.ts';
import { JournalWriter } from '../../src/journal/journal-writer.ts';
import { explained, fakeSession, resumeFakeSession } from '../guide/helpers.ts';
import { tempDir } from '../helpers/test-lab.ts';
import { stepRows } from './report-rows.ts';


describe('incident report', () => {
  it('lists every step once in order with status and duration, skips with reasons, notes, and the timeline across a crash and a resume', async () => {
    const file = path.join(tempDir('report'), 'incident.jsonl');
    let hang = true;
    const runbook = defineRunbook({
      id: 'report-runbook', title: 'Report runbook', summary: 's', steps: [
        { id: 'check', title: 'Check the server', ...explained, run: async (ctx) => ctx.output('accepting connections on postgres://admin:sekrit-pass@10.0.0.5:5432/x') },
        { id: 'fix', title: 'Fix it', ...explained, run: async (ctx) => { ctx.output('fixing'); if (hang) await new Promise(() => {}); } },
        { id: 'by-hand', title: 'Do it by hand', ...explained, manual: 'Restart the pooler.' },
        { id: 'optional', title: 'Optional', ...explained, run: async () => {} },
      ],
    });
    const journal = JournalWriter.create(file);
    const first = fakeSession(runbook, { journal });
    await first.run();
    first.note('paged at 03:12');
    void first.run();
    await expect.poll(() => first.state.steps[1]!.outputLines).toBe(1);
    journal.close(); // killed mid-step
    appendFileSync(file, '{"seq":8,"ts":"2024-');
    hang = false;
    const second = resumeFakeSession(runbook, file);
    await second.run();
    await second.completeManual();
    second.skip('the pooler came back by itself');
    second.note('root cause: firewall change');

    const read = readJournal(file);
    const md = renderIncidentReport(read);
    expect(md).toMatch(/^# Incident timeline: Report runbook/);
    expect(md).toContain('| outcome | recovered: every step done or skipped with a reason |');
    expect(md).toMatch(/\| time to recover \| \d+ ms \(\+00:00:00\), from the start of the session \|/);
    expect(md).toContain('| resumed | 1 time |');
    const rows = stepRows(md);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([['1', '`check`: Check the server', 'done'], ['2', '`fix`: Fix it', 'done'], ['3', '`by-hand`: Do it by hand', 'done'], ['4', '`optional`: Optional', 'skipped']]);
    for (const row of rows.slice(0, 3)) expect(row[3]).toMatch(/^\d+ ms$/);
    expect(md).toMatch(/\| 2 \| `fix`: Fix it \| done \| \d+ ms \| 2 \| interrupted once \|/);
    expect(md).toContain('- `optional`: the pooler came back by itself');
    expect(md).toMatch(/- \+00:00:00 \(.+\) during `fix`: paged at 03:12/);
    expect(md).toContain('root cause: firewall change');
    expect(md).toMatch(/\*\*fix\*\* interrupted: pgdrill stopped .* it did not finish/);
    expect(md).toMatch(/Session resumed by tester on .* \(a cut-short last journal line of 20 bytes was removed\)/);
    expect(md).toContain('**by-hand** done by the operator');
    expect(md).toContain('Session ended: recovered');
    expect(md).toContain('accepting connections on postgres://admin:***@10.0.0.5:5432/x');
    expect(md).not.toContain('sekrit-pass');
  });

  it('reports a journal that ends mid-step (killed, not resumed): the step reads interrupted, and a cut-short last line is reported', async () => {
    const file = path.join(tempDir('report'), 'killed.jsonl');
    const journal = JournalWriter.create(file);
    const session = fakeSession(defineRunbook({ id: 'killed', title: 'Killed', summary: 's', steps: [{ id: 'hang', title: 'Hang', ...explained, run: () => new Promise(() => {}) }, { id: 'never', title: 'Never', ...explained, run: async () => {} }] }), { journal });
    void session.run();
    await expect.poll(() => session.state.steps[0]!.status).toBe('running');
    journal.close();
    appendFileSync(file, '{"seq":3,"ts"');
    const md = renderIncidentReport(readJournal(file));
    expect(md).toContain('not finished: the journal ends without a session end');
    expect(stepRows(md).map((r) => r[2])).toEqual(['interrupted', 'pending']);
    expect(md).toMatch(/Warning: The journal's last line was cut short \(13 bytes/);
    expect(md).toContain('| time to recover | — (not recovered in this session) |');
  });
});
