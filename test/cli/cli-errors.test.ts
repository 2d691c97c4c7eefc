import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

/** A one-paragraph error: no stack trace lines. */
function expectNoStack(text: string) {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('pgdrill command line: bad input and harness failures exit 1 with a clear message', () => {
  it('exits 1 naming PG_BIN and what to install when no PostgreSQL binaries are found', async () => {
    const run = await runCli(['drill', 'connection-loss', '--lab-dir', `${tempDir('nobin')}/lab`], { PG_BIN: '/nonexistent/pg/bin' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PG_BIN is set to \/nonexistent\/pg\/bin/);
    expect(run.stderr).toMatch(/Point PG_BIN at the bin directory/);
    expectNoStack(run.stderr);
    expect(run.stdout).toMatch(/ERROR \(harness failed\)/);
    expect(run.stdout).not.toMatch(/RTO/);
  });

  it('exits 1 on an unknown scenario, listing the known ones', async () => {
    const run = await runCli(['drill', 'no-such-scenario']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/There is no scenario "no-such-scenario"/);
    expect(run.stderr).toMatch(/connection-loss/);
    expectNoStack(run.stderr);
  });

  it('exits 1 on a bad flag value and on an unknown flag', async () => {
    const bad = await runCli(['drill', 'connection-loss', '--rate', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"lots" is not a positive whole number/);
    const unknown = await runCli(['drill', 'connection-loss', '--frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('exits 1 on an unknown variant before touching anything', async () => {
    const run = await runCli(['drill', 'connection-loss', '--variant', 'meteor', '--lab-dir', `${tempDir('variant')}/lab`]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/has no variant "meteor".*reset-peer/s);
  });

  it('exits 1 with the problems named when a scenario file is invalid', async () => {
    const dir = tempDir('badscenario');
    const file = `${dir}/broken.ts`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/package.json`, '{ "type": "module" }\n');
    writeFileSync(file, `import { defineScenario } from ${JSON.stringify(`${process.cwd()}/src/core/scenario.ts`)};\nexport default defineScenario({ id: 'Bad Id', title: '', steps: [] } as never);\n`);
    const run = await runCli(['drill', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/The scenario in \S*broken\.ts is invalid:\n\s+\S*broken\.ts: id: must be kebab-case/);
    expect(run.stderr).toMatch(/broken\.ts: fault: expected a fault/);
    expectNoStack(run.stderr);
  });

  it('has --help on every command', async () => {
    for (const args of [['--help'], ['drill', '--help'], ['lab', '--help'], ['lab', 'up', '--help'], ['lab', 'status', '--help'], ['lab', 'down', '--help'], ['list', '--help']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toMatch(/Usage: pgdrill/);
    }
  });
});
