import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { DrillResult } from '../../src/core/result.ts';
import { sparkline } from '../../src/report/sparkline.ts';
import { binTimeline, writeHtmlReport } from '../../src/report/html-report.ts';
import { RequestTimeline } from '../../src/measure/timeline.ts';
import { writeJunitReport } from '../../src/report/junit-report.ts';
import { renderMarkdownSummary } from '../../src/report/markdown-summary.ts';
import { findRegressions } from '../../src/suite/baseline.ts';
import { appendHistory, readHistory } from '../../src/suite/history.ts';
import { runCli } from '../helpers/run-cli.ts';
import { suiteExitCode } from '../../src/suite/suite-output.ts';
import { tempDir } from '../helpers/test-lab.ts';

function result(over: Partial<DrillResult> = {}): DrillResult {
  return {
    scenario: 'connection-loss', title: 'Database connection lost', variant: null, status: 'passed', reasons: [],
    rtoMs: 5_000, ttdMs: 20, rpoMs: 0, ackedWrites: 300, lostWrites: 0, unackedPresentWrites: 0, requests: 1000, failedRequests: 200,
    objectives: { rtoMs: 300_000, rpoMs: 0 }, fault: { name: 'proxy-down', description: 'down', holdMs: 5000 }, steps: [],
    startedAt: '2026-11-25T10:00:00.000Z', finishedAt: '2026-11-25T10:00:15.000Z', t0Ms: 2000, load: { targetRate: 100, sentRate: 100, maxInFlight: 3, inFlightCapHit: false }, cleanupFailures: [], notes: [], ...over,
  };
}

describe('reports', () => {
  it('JUnit: one test case per scenario, failures state objective versus measured, XML escaped', () => {
    const file = path.join(tempDir('junit'), 'junit.xml');
    writeJunitReport(file, [
      result(),
      result({ scenario: 'slow-query', status: 'breached', rtoMs: 90_000, objectives: { rtoMs: 60_000, rpoMs: 0 }, reasons: ['RTO 1.5 min exceeds the objective of 1 min <&>'] }),
      result({ scenario: 'service-crash', status: 'error', reasons: ['no PostgreSQL "binaries"'] }),
    ]);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toMatch(/<testsuites name="pgdrill" tests="3" failures="1" errors="1" skipped="0">/);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toContain('<failure message="breached: RTO 1.5 min (objective 1 min)');
    expect(xml).toContain('exceeds the objective of 1 min &lt;&amp;&gt;');
    expect(xml).toContain('<error message="no PostgreSQL &quot;binaries&quot;"/>');
    expect(xml).toContain('time="15.000"');
  });

  it('JUnit: a regression against the baseline fails an otherwise passing scenario', () => {
    const file = path.join(tempDir('junit'), 'junit.xml');
    writeJunitReport(file, [result()], new Map([['connection-loss', 'RTO 5 s against a baseline of 1 s']]));
    expect(readFileSync(file, 'utf8')).toMatch(/<failure message="regression: RTO 5 s against a baseline of 1 s" type="regression"\/>/);
  });

  it('Markdown summary: a row per scenario and the reasons', () => {
    const md = renderMarkdownSummary([result(), result({ scenario: 'slow-query', status: 'breached', reasons: ['too slow'] })], ['connection-loss: slower']);
    expect(md).toContain('| connection-loss | ✅ passed | 5.00 s | 5 min | 0 of 300 | 0 ms | 0 |');
    expect(md).toContain('| slow-query | ❌ breached |');
    expect(md).toContain('- **slow-query**: too slow');
    expect(md).toContain('- regression: connection-loss: slower');
  });

  it('baseline: flags an RTO past the tolerance, not one within it, and a lost recovery', () => {
    const baseline = [result({ rtoMs: 4_000 }), result({ scenario: 'slow-query', rtoMs: 2_000 }), result({ scenario: 'service-crash', rtoMs: 3_000 })];
    const now = [result({ rtoMs: 5_500 }), result({ scenario: 'slow-query', rtoMs: 4_000 }), result({ scenario: 'service-crash', rtoMs: null })];
    const regressions = findRegressions(now, baseline, { ratio: 0.5, minMs: 1000 });
    expect([...regressions.keys()].sort()).toEqual(['service-crash', 'slow-query']);
    expect(regressions.get('slow-query')).toMatch(/RTO 4.00 s against a baseline of 2.00 s/);
  });

  it('history: appended per run and read back, skipping a torn line', () => {
    const file = path.join(tempDir('history'), 'h.jsonl');
    appendHistory(file, [result({ rtoMs: 4000 })]);
    appendHistory(file, [result({ rtoMs: 6000 })]);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"torn":`, { flag: 'w' });
    const { entries, skipped } = readHistory(file);
    expect(entries.map((e) => e.rtoMs)).toEqual([4000, 6000]);
    expect(skipped).toBe(1);
    expect(sparkline([1000, 4000, null, 8000])).toBe('▁▄×█');
  });

  it('history: game days are kept apart from unattended runs, with who recovered', async () => {
    const file = path.join(tempDir('history'), 'h.jsonl');
    appendHistory(file, [result({ rtoMs: 4000 })]);
    appendHistory(file, [{ ...result({ rtoMs: 160_000 }), mode: 'gameday', operator: 'alice' }]);
    expect(readHistory(file).entries.map((e) => [e.mode ?? 'drill', e.operator ?? ''])).toEqual([['drill', ''], ['gameday', 'alice']]);
    const shown = await runCli(['history', '--file', file]);
    expect(shown.code).toBe(0);
    const [unattended, gameDays] = shown.stdout.split(/\n(?=[^\n]*RTO trend)/);
    expect(unattended).toMatch(/^\S+ {2}RTO trend/);
    expect(unattended).not.toMatch(/alice|game days/);
    expect(gameDays).toMatch(/· game days {2}RTO trend/);
    expect(gameDays).toMatch(/alice/);
    expect(gameDays).toMatch(/2\.7 min/);
  });

  it('HTML: bins answers per second with p50/p99 latency, and draws the fault, steps and recovery', () => {
    const timeline = Array.from({ length: 400 }, (_, i) => ({ kind: 'write' as const, sentAt: i * 10, endAt: i * 10 + (i >= 200 && i < 300 ? 200 : 5), ok: !(i >= 200 && i < 300), status: 201 }));
    const bins = binTimeline(RequestTimeline.from(timeline), 0, 1000);
    expect(bins[0]).toMatchObject({ t: 0, okPerSecond: 100, failedPerSecond: 0, p50Ms: 5 });
    // Failures sent from 2.0 s answer 200 ms later: 80 of them end inside the third second.
    expect(bins[2]!.failedPerSecond).toBe(80);
    expect(bins[2]!.p99Ms).toBe(200);
    const file = path.join(tempDir('html'), 'r.html');
    writeHtmlReport(file, [{
      result: result({ status: 'breached', reasons: ['postgres://u:secret@h/db refused'] }),
      load: { timeline: RequestTimeline.from(timeline), ledger: [], attemptedWriteIds: [], stoppedAt: 4000, stats: { targetRate: 100, sentRate: 100, maxInFlight: 3, inFlightCap: 500, inFlightCapHit: false, skipped: 0 } },
      events: [{ at: 0, kind: 'load-start', label: 'load' }, { at: 2000, kind: 'fault-injected', label: 'proxy-down' }, { at: 2500, kind: 'step-start', label: 'restore-connectivity' }, { at: 3000, kind: 'recovered', label: 'service answers again' }],
    }]);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toMatch(/class="marker fault"/);
    expect(html).toMatch(/class="mlabel step"[^>]*>restore-connectivity</);
    expect(html).toMatch(/class="marker recovered"/);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).not.toContain('secret');
  });

  it('exit code of several results: error or ineffective 1, breach or regression 2, skipped ones counted apart (all skipped: 1), else 0', () => {
    expect(suiteExitCode([result(), result({ status: 'skipped' })])).toBe(0);
    expect(suiteExitCode([result({ status: 'breached' }), result({ status: 'skipped' })])).toBe(2);
    expect(suiteExitCode([result({ status: 'skipped' }), result({ status: 'skipped' })])).toBe(1);
    expect(suiteExitCode([result()])).toBe(0);
    expect(suiteExitCode([result(), result({ status: 'breached' })])).toBe(2);
    expect(suiteExitCode([result()], true)).toBe(2);
    expect(suiteExitCode([result({ status: 'breached' }), result({ status: 'error' })])).toBe(1);
    expect(suiteExitCode([result({ status: 'ineffective' })])).toBe(1);
    expect(suiteExitCode([])).toBe(1);
  });
});

describe('config', () => {
  const write = (text: string) => {
    const dir = tempDir('config');
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    // As in a project that installed pgdrill.
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.resolve(import.meta.dirname, '../..'), path.join(dir, 'node_modules', 'pgdrill'));
    const file = path.join(dir, 'pgdrill.config.ts');
    writeFileSync(file, text);
    return file;
  };

  it('loads a typed config through defineConfig, and a plain object', async () => {
    const typed = write(`import { defineConfig } from 'pgdrill';\nexport default defineConfig({ objectives: { 'connection-loss': { rtoMs: 60000, rpoMs: 0 } } });\n`);
    expect(await loadConfig(typed, ['connection-loss'])).toEqual({ objectives: { 'connection-loss': { rtoMs: 60000, rpoMs: 0 } } });
    const plain = write(`export default { scenarios: ['connection-loss'], holdMs: 1000 };\n`);
    expect(await loadConfig(plain, ['connection-loss'])).toEqual({ scenarios: ['connection-loss'], holdMs: 1000 });
  });

  it('rejects unknown keys, wrong types and unknown scenarios, naming them', async () => {
    await expect(loadConfig(write(`export default { objectivs: {} };\n`), ['connection-loss'])).rejects.toThrow(/Unrecognized key.*objectivs/);
    await expect(loadConfig(write(`export default { objectives: { 'connection-loss': { rtoMs: '1m' } } };\n`), ['connection-loss'])).rejects.toThrow(/objectives.connection-loss.rtoMs/);
    await expect(loadConfig(write(`export default { objectives: { meteor: { rtoMs: 1 } } };\n`), ['connection-loss'])).rejects.toThrow(/names scenarios that do not exist: meteor/);
  });
});
