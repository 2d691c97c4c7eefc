import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

/** A project directory with pgdrill installed (as a link) and a config file. */
function project(config: string): { dir: string; config: string } {
  const dir = tempDir('ci');
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'pgdrill'));
  const file = path.join(dir, 'pgdrill.config.ts');
  writeFileSync(file, config);
  return { dir, config: file };
}

describe('pgdrill ci', () => {
  it('judges against the config objectives, writes JUnit, JSON, HTML, the step summary and the history, and exits 2 on a breach', async () => {
    const p = project(`import { defineConfig } from 'pgdrill';\nexport default defineConfig({ objectives: { 'connection-loss': { rtoMs: 100, rpoMs: 0 } }, holdMs: 1000 });\n`);
    const out = (name: string) => path.join(p.dir, name);
    writeFileSync(out('summary.md'), '# earlier step\n');
    const run = await runCli(['ci', 'connection-loss', '--config', p.config, '--junit', out('j.xml'), '--json', out('r.json'), '--html', out('r.html'), '--history', out('h.jsonl')], { GITHUB_STEP_SUMMARY: out('summary.md') });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/\[1\/1\] connection-loss BREACHED: RTO [\d.]+ s \(objective 100 ms\)/);
    const junit = readFileSync(out('j.xml'), 'utf8');
    expect(junit).toMatch(/<testcase classname="pgdrill" name="connection-loss"/);
    expect(junit).toMatch(/<failure message="breached: RTO [\d.]+ s \(objective 100 ms\)/);
    const json = JSON.parse(readFileSync(out('r.json'), 'utf8'));
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ scenario: 'connection-loss', status: 'breached', objectives: { rtoMs: 100, rpoMs: 0 } });
    const html = readFileSync(out('r.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/class="marker fault"/);
    expect(html).toMatch(/class="marker recovered"/);
    const summary = readFileSync(out('summary.md'), 'utf8');
    expect(summary).toMatch(/^# earlier step\n## pgdrill recovery drills/);
    expect(summary).toContain('| connection-loss | ❌ breached |');
    const history = await runCli(['history', '--file', out('h.jsonl')]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/connection-loss\s+RTO trend \S+\s+\(objective 100 ms\)/);
    expect(history.stdout).toContain('breached');
  });

  it('exits 2 when an RTO regressed against the baseline, even with every objective met', async () => {
    const p = project(`export default { holdMs: 1000, regression: { ratio: 0.5, minMs: 200 } };\n`);
    const baseline = path.join(p.dir, 'baseline.json');
    writeFileSync(baseline, JSON.stringify([{ scenario: 'connection-loss', variant: null, status: 'passed', rtoMs: 50 }]));
    const junit = path.join(p.dir, 'j.xml');
    const run = await runCli(['ci', 'connection-loss', '--config', p.config, '--baseline', baseline, '--junit', junit, '--no-history']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/connection-loss\s+│ PASSED/);
    expect(run.stderr).toMatch(/connection-loss: regression: RTO [\d.]+ s against a baseline of 50 ms/);
    expect(readFileSync(junit, 'utf8')).toMatch(/type="regression"/);
  });

  it('exits 1 at once on a bad config, an unknown scenario in it, or an unknown tag', async () => {
    const bad = project(`export default { objectives: { meteor: { rtoMs: 1 } } };\n`);
    const run = await runCli(['ci', '--config', bad.config]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/names scenarios that do not exist: meteor/);
    const tag = await runCli(['drill', '--tag', 'no-such-tag']);
    expect(tag.code).toBe(1);
    expect(tag.stderr).toMatch(/No scenario has the tag no-such-tag.*Known tags:/s);
  });
});
