import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { removeTempDirs, tempDir } from '../helpers/test-lab.ts';

/**
 * A team's repository is not ours: no package.json (a Go or Python repo
 * running pgdrill in CI), or one without "type": "module", a path with a
 * space, pgdrill installed in its node_modules. Definition and config files
 * load there in every extension a user writes.
 */
function teamRepo(packageJson?: object): string {
  const repo = path.join(tempDir('team'), 'our service');
  mkdirSync(path.join(repo, 'node_modules'), { recursive: true });
  symlinkSync(process.cwd(), path.join(repo, 'node_modules', 'pgdrill'));
  if (packageJson) writeFileSync(path.join(repo, 'package.json'), JSON.stringify(packageJson));
  return repo;
}

const RUNBOOK_BODY = `{
  id: 'team-check',
  title: 'Team check',
  summary: 'A runbook from a team repository.',
  steps: [{ id: 'look', title: 'Look at the sessions', why: 'Know the load.', expect: 'A count.', command: { kind: 'sql', database: 'postgres', text: 'SELECT count(*) FROM pg_stat_activity' } }],
}`;

describe('user files load in any directory (.ts, .mts, .js, .mjs; no "type": "module")', () => {
  afterAll(removeTempDirs);

  for (const [label, packageJson] of [['no package.json', undefined], ['a CommonJS package.json', { name: 'our-service', private: true }]] as const) {
    it(`loads runbooks in every extension from a repository with ${label}, importing pgdrill and a sibling file`, async () => {
      const repo = teamRepo(packageJson);
      const dir = path.join(repo, 'drills');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'steps.ts'), `export const title = 'Look at the sessions';\n`);
      writeFileSync(path.join(dir, 'check.ts'), `import { defineRunbook } from 'pgdrill';\nimport { title } from './steps.ts';\nexport default defineRunbook(${RUNBOOK_BODY.replace("'Look at the sessions'", 'title')});\n`);
      writeFileSync(path.join(dir, 'check.mts'), `import { defineRunbook } from 'pgdrill';\nexport default defineRunbook(${RUNBOOK_BODY});\n`);
      writeFileSync(path.join(dir, 'check.mjs'), `import { defineRunbook } from 'pgdrill';\nexport default defineRunbook(${RUNBOOK_BODY});\n`);
      writeFileSync(path.join(dir, 'check.js'), `export default ${RUNBOOK_BODY};\n`);
      for (const file of ['check.ts', 'check.mts', 'check.mjs', 'check.js']) {
        const run = await runCli(['guide', path.join('drills', file), '--dry-run'], {}, repo);
        expect(run.stderr, file).not.toMatch(/could not be loaded|require\(\)|a bug in pgdrill/);
        expect(run.code, `${file}: ${run.stderr}`).toBe(0);
        expect(run.stdout, file).toMatch(/Look at the sessions/);
      }
    });
  }

  it('loads pgdrill.config.ts from a repository without package.json and validates what it says', async () => {
    const repo = teamRepo();
    writeFileSync(path.join(repo, 'pgdrill.config.ts'), `import { defineConfig } from 'pgdrill';\nexport default defineConfig({ scenarios: ['connection-loss', 'no-such-scenario'] });\n`);
    const run = await runCli(['ci', '--no-history'], {}, repo);
    expect(run.code).toBe(1);
    // Loaded and read: the one unknown scenario is named (a file that failed to load would say so instead).
    expect(run.stderr).toMatch(/names scenarios that do not exist: no-such-scenario/);
    expect(run.stderr).not.toMatch(/could not be loaded/);
  });
});
