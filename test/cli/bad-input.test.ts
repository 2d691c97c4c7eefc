import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, runCli } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/test-lab.ts';

/**
 * Every command of the CLI against the inputs people really mistype. Each
 * row must end with exit 1, a message on stderr naming the bad input, no
 * "a bug in pgdrill", no stack frame, within a few seconds. Every bad input
 * a user reports becomes a row here.
 *
 * No row needs a running PostgreSQL: lab directories are absent or wrong,
 * URLs point at a closed port, and PG_BIN points nowhere, so that a missing
 * check fails fast with another message instead of starting a lab.
 */

/** Where the rows' files live; the CLI runs in it, so no default `.pgdrill` of the repository is touched. */
let dir = '';
const D = (name: string) => path.join(dir, name);
const UNREACHABLE = 'postgres://u:p@127.0.0.1:1/db';
const NO_PG = { PG_BIN: '/nonexistent/pg/bin' };

/** The first record of a journal of the connection-loss runbook, as `pgdrill guide` writes it. */
const CONNECTION_LOSS_JOURNAL = `${JSON.stringify({
  seq: 1, ts: '2026-01-01T00:00:00.000Z', t: 0, type: 'session-start', format: 'pgdrill-journal/1', sessionId: '00000000-0000-4000-8000-000000000000',
  startedAt: '2026-01-01T00:00:00.000Z', runbook: { id: 'connection-loss', title: "Service can't connect to the database" },
  steps: [
    { id: 'check-server', title: 'Check that PostgreSQL accepts connections' },
    { id: 'count-connections', title: 'Count connections by database, user and state' },
    { id: 'restore-connectivity', title: 'Restore the network path between service and database' },
    { id: 'verify-service', title: 'Verify that the service answers again' },
  ],
  target: { kind: 'url', name: '127.0.0.1:1', isLab: false }, allowDestructive: false, operator: 'tester', host: 'test', pid: 1, mode: 'plain',
})}\n`;

function writeFixtures(): void {
  writeFileSync(D('afile'), '');
  mkdirSync(D('adir'));
  mkdirSync(D('empty-backups'));
  writeFileSync(D('bad-scenario.mts'), "export default { id: 'x' };\n");
  writeFileSync(D('number-scenario.mts'), 'export default 42;\n');
  writeFileSync(D('no-default.mts'), 'export const scenario = {};\n');
  writeFileSync(D('syntax.mts'), 'export default {\n');
  writeFileSync(D('bad-runbook.mts'), "export default { id: 'Bad Id', steps: [] };\n");
  writeFileSync(D('bad-config.mts'), 'export default { nonsense: 1 };\n');
  const system = { database: 'orders_db', schema: ['schema.sql'], service: { command: ['node', 'server.mjs'], write: { path: '/orders' }, read: { path: '/orders/{{id}}' } }, ledger: { table: 'orders', idColumn: 'id' } };
  writeFileSync(D('system-unknown-key.mjs'), `export default ${JSON.stringify({ system: { ...system, servic: {} } })};\n`);
  writeFileSync(D('system-no-schema-file.mjs'), `export default ${JSON.stringify({ system })};\n`);
  writeFileSync(D('baseline-object.json'), '{ "not": "results" }\n');
  writeFileSync(D('proxies-object.json'), '{}\n');
  writeFileSync(D('garbage.jsonl'), 'garbage\n');
  writeFileSync(D('other-runbook.jsonl'), CONNECTION_LOSS_JOURNAL);
  mkdirSync(D('lab-corrupt'));
  writeFileSync(D('lab-corrupt/lab.json'), 'not json\n');
}

interface Row {
  args: () => string[];
  /** What stderr must say: it names the bad input. */
  says: RegExp;
  env?: NodeJS.ProcessEnv;
}

const rows: Record<string, Row> = {
  // drill
  'drill: unknown scenario': { args: () => ['drill', 'no-such-scenario'], says: /There is no scenario "no-such-scenario"/ },
  'drill: bad duration': { args: () => ['drill', 'connection-loss', '--hold', 'soon'], says: /"soon" is not a duration/ },
  'drill: bad number': { args: () => ['drill', 'connection-loss', '--rate', 'lots'], says: /"lots" is not a positive whole number/ },
  'drill: zero RTO objective': { args: () => ['drill', 'connection-loss', '--objective-rto', '0', '--lab-dir', D('lab')], says: /--objective-rto must be more than 0/, env: NO_PG },
  'drill: unknown variant': { args: () => ['drill', 'connection-loss', '--variant', 'meteor', '--lab-dir', D('lab')], says: /no variant "meteor"/, env: NO_PG },
  'drill: --variant with several scenarios': { args: () => ['drill', 'connection-loss', 'slow-query', '--variant', 'x'], says: /--variant applies to one scenario/, env: NO_PG },
  'drill: scenario file exporting an invalid object': { args: () => ['drill', D('bad-scenario.mts')], says: /bad-scenario\.mts: fault: expected a fault: an object with name, description, inject and revert/ },
  'drill: scenario file exporting a number': { args: () => ['drill', D('number-scenario.mts')], says: /default export of \S*number-scenario\.mts is number 42, not a scenario object/ },
  'drill: scenario file without a default export': { args: () => ['drill', D('no-default.mts')], says: /no-default\.mts has no default export/ },
  'drill: scenario file with a syntax error': { args: () => ['drill', D('syntax.mts')], says: /syntax\.mts could not be loaded/ },
  'drill: missing scenario file': { args: () => ['drill', D('missing.mts')], says: /missing\.mts does not exist/ },
  'drill: lab directory is a file': { args: () => ['drill', 'connection-loss', '--lab-dir', D('afile')], says: /lab directory \S*afile is not a directory/, env: NO_PG },
  'drill: lab directory under a file': { args: () => ['drill', 'connection-loss', '--lab-dir', D('afile/lab')], says: /lab directory \S*afile\/lab cannot be created: \S*afile is a file/, env: NO_PG },
  'drill: lab directory under /proc': { args: () => ['drill', 'connection-loss', '--lab-dir', '/proc/x'], says: /lab directory \/proc\/x is under \/proc/, env: NO_PG },
  'drill: --json in /proc': { args: () => ['drill', 'connection-loss', '--json', '/proc/x/result.json', '--lab-dir', D('lab')], says: /--json \/proc\/x is under \/proc/, env: NO_PG },

  // ci
  'ci: unknown scenario': { args: () => ['ci', 'no-such-scenario', '--no-history'], says: /There is no scenario "no-such-scenario"/ },
  'ci: missing config': { args: () => ['ci', '--config', D('missing.ts')], says: /config file \S*missing\.ts does not exist/ },
  'ci: invalid config': { args: () => ['ci', '--config', D('bad-config.mts')], says: /config file \S*bad-config\.mts is invalid: .*"nonsense"/ },
  'drill: invalid config': { args: () => ['drill', 'connection-loss', '--config', D('bad-config.mts')], says: /config file \S*bad-config\.mts is invalid: .*"nonsense"/ },
  'drill: unknown key in system': { args: () => ['drill', 'connection-loss', '--config', D('system-unknown-key.mjs')], says: /config file \S*system-unknown-key\.mjs is invalid: system: Unrecognized key: "servic"/ },
  'ci: schema file missing': { args: () => ['ci', '--config', D('system-no-schema-file.mjs')], says: /names a schema file that does not exist: schema\.sql/ },
  'ci: missing baseline': { args: () => ['ci', '--baseline', D('missing.json')], says: /baseline \S*missing\.json could not be read/ },
  'ci: baseline that is not results': { args: () => ['ci', '--baseline', D('baseline-object.json')], says: /baseline \S*baseline-object\.json does not hold pgdrill results/ },
  'ci: --junit in /proc': { args: () => ['ci', '--junit', '/proc/x/junit.xml'], says: /--junit \/proc\/x is under \/proc/, env: NO_PG },
  'ci: --html is a directory': { args: () => ['ci', '--html', D('adir')], says: /--html \S*adir is a directory, not a file/, env: NO_PG },
  'ci: --history under a file': { args: () => ['ci', '--history', D('afile/history.jsonl')], says: /--history \S*afile is not a directory/, env: NO_PG },

  // the RDS target (each refused before any AWS call)
  'rds: check --region without --rds': { args: () => ['check', '--region', 'eu-west-1'], says: /--region applies to --rds/ },
  'rds: check --rds with --lab-dir': { args: () => ['check', '--rds', 'payments-prod', '--lab-dir', D('lab')], says: /--rds and --lab-dir name two different servers/ },
  'rds: guide --target with a bad instance id': { args: () => ['guide', 'database-lost', '--target', 'rds:9-bad!', '--dry-run'], says: /--target rds:9-bad! does not name an RDS instance/ },
  'rds: guide --to-time without an RDS target': { args: () => ['guide', 'database-lost', '--to-time', '2026-03-05T03:11:00Z', '--dry-run'], says: /--to-time applies to --target rds:<instance id>/ },
  'rds: guide --to-time that is not a time': { args: () => ['guide', 'accidental-deletion', '--target', 'rds:payments-prod', '--to-time', 'yesterday', '--dry-run'], says: /--to-time yesterday is not a time/ },
  'rds: drill --service-url without an RDS target': { args: () => ['drill', 'primary-failover', '--service-url', 'http://127.0.0.1:1'], says: /--service-url applies to --target rds:<id>/, env: NO_PG },
  'rds: drill another scenario on RDS': { args: () => ['drill', 'slow-query', '--target', 'rds:payments-staging'], says: /On --target rds:<id> pgdrill drills primary-failover or database-lost/, env: NO_PG },
  'rds: drill on RDS without --url': { args: () => ['drill', 'primary-failover', '--target', 'rds:payments-staging', '--service-url', 'http://127.0.0.1:1'], says: /A drill on RDS needs --url/, env: NO_PG },
  // guide
  'guide: unknown runbook': { args: () => ['guide', 'no-such-runbook', '--dry-run'], says: /There is no runbook "no-such-runbook"/ },
  'guide: invalid runbook file': { args: () => ['guide', D('bad-runbook.mts'), '--dry-run'], says: /bad-runbook\.mts: id: must be kebab-case/ },
  'guide: runbook file exporting a number': { args: () => ['guide', D('number-scenario.mts'), '--dry-run'], says: /number-scenario\.mts is number 42, not a runbook object/ },
  'guide: unknown target': { args: () => ['guide', 'connection-loss', '--target', 'cloud', '--yes'], says: /--target cloud is not a target/ },
  'guide: not a URL': { args: () => ['guide', 'connection-loss', '--url', 'not-a-url', '--yes', '--journal', D('j-not-a-url.jsonl')], says: /--url value is not a connection URL/ },
  'guide: unreachable URL': { args: () => ['guide', 'connection-loss', '--url', UNREACHABLE, '--yes', '--journal', D('j-unreachable.jsonl')], says: /127\.0\.0\.1:1/ },
  'guide: lab directory under /proc': { args: () => ['guide', 'connection-loss', '--lab-dir', '/proc/x', '--yes'], says: /lab directory \/proc\/x is under \/proc/, env: NO_PG },
  'guide: --journal in /proc': { args: () => ['guide', 'connection-loss', '--url', UNREACHABLE, '--yes', '--journal', '/proc/x/j.jsonl'], says: /--journal \/proc\/x is under \/proc/ },
  'guide: --resume a missing journal': { args: () => ['guide', 'connection-loss', '--url', UNREACHABLE, '--resume', D('missing.jsonl')], says: /no journal at \S*missing\.jsonl/ },
  'guide: --resume a journal of another runbook': { args: () => ['guide', 'slow-query', '--url', UNREACHABLE, '--resume', D('other-runbook.jsonl')], says: /other-runbook\.jsonl is a session of the runbook "connection-loss", not "slow-query"/ },

  // report
  'report: missing journal': { args: () => ['report', D('missing.jsonl')], says: /no journal at \S*missing\.jsonl/ },
  'report: a directory': { args: () => ['report', D('adir')], says: /journal \S*adir could not be read/ },
  'report: not a journal': { args: () => ['report', D('garbage.jsonl')], says: /garbage\.jsonl is not a pgdrill journal record/ },
  'report: --output in /proc': { args: () => ['report', D('other-runbook.jsonl'), '--output', '/proc/x/report.md'], says: /report to \/proc\/x\/report\.md/ },

  // history
  'history: bad number': { args: () => ['history', '--last', 'abc'], says: /"abc" is not a positive whole number/ },
  'history: --file is a directory': { args: () => ['history', '--file', D('adir')], says: /history file \S*adir could not be read/ },

  // lab
  'lab up: lab directory is /dev/null': { args: () => ['lab', 'up', '--lab-dir', '/dev/null'], says: /lab directory \/dev\/null is under \/dev/, env: NO_PG },
  'lab up: lab directory under /proc': { args: () => ['lab', 'up', '--lab-dir', '/proc/x'], says: /lab directory \/proc\/x is under \/proc/, env: NO_PG },
  'lab up: no PostgreSQL binaries': { args: () => ['lab', 'up', '--lab-dir', D('lab-nobin')], says: /PG_BIN is set to \/nonexistent\/pg\/bin/, env: NO_PG },
  'lab status: lab directory is a file': { args: () => ['lab', 'status', '--lab-dir', D('afile')], says: /lab directory \S*afile is not a directory/ },
  'lab status: corrupt lab state': { args: () => ['lab', 'status', '--lab-dir', D('lab-corrupt')], says: /lab state file \S*lab-corrupt\/lab\.json is not one this pgdrill understands \(not JSON/ },
  'lab down: lab directory under a file': { args: () => ['lab', 'down', '--lab-dir', D('afile/lab')], says: /lab directory \S*afile\/lab cannot be created: \S*afile is a file/ },

  // check
  'check: unknown check or group': { args: () => ['check', '--only', 'security,nonsense', '--lab-dir', D('no-lab-here')], says: /--only names no check or group "nonsense"/ },
  'check: empty --only': { args: () => ['check', '--only', ',', '--lab-dir', D('no-lab-here')], says: /--only names no check/ },
  'check: bad --fail-on': { args: () => ['check', '--fail-on', 'never'], says: /--fail-on <level>' argument 'never' is invalid/ },
  'check: lab not running': { args: () => ['check', '--lab-dir', D('no-lab-here')], says: /lab in \S*no-lab-here is not running: pgdrill check reads a running server and never starts one/ },
  'check: not a URL': { args: () => ['check', '--url', 'not-a-url'], says: /--url value is not a connection URL/ },
  'check: unreachable URL': { args: () => ['check', '--url', UNREACHABLE], says: /Could not connect to 127\.0\.0\.1:1 to check it/ },
  'check: --url and --lab-dir': { args: () => ['check', '--url', UNREACHABLE, '--lab-dir', D('no-lab-here')], says: /--url and --lab-dir name two different servers/ },
  'check: --json is a directory': { args: () => ['check', '--json', D('adir'), '--lab-dir', D('no-lab-here')], says: /--json \S*adir is a directory, not a file/ },
  'check: --pooler not a URL': { args: () => ['check', '--pooler', 'pgbouncer', '--url', UNREACHABLE], says: /--pooler value is not a connection URL/ },

  // list
  'list: unexpected argument': { args: () => ['list', 'extra'], says: /too many arguments for 'list'/ },

  // proxy serve
  'proxy serve: bad port': { args: () => ['proxy', 'serve', '--port', '99999'], says: /"99999" is not a TCP port/ },
  'proxy serve: not a loopback host': { args: () => ['proxy', 'serve', '--host', '192.0.2.1', '--port', '18474'], says: /refusing host "192\.0\.2\.1"/ },
  'proxy serve: missing config': { args: () => ['proxy', 'serve', '--port', '18474', '--config', D('missing.json')], says: /proxy config \S*missing\.json could not be read/ },
  'proxy serve: config not an array': { args: () => ['proxy', 'serve', '--port', '18474', '--config', D('proxies-object.json')], says: /proxy config \S*proxies-object\.json is not a JSON array/ },

  // backup
  'backup run: lab not running': { args: () => ['backup', 'run', '--lab-dir', D('no-lab-here')], says: /lab in \S*no-lab-here is not running/ },
  'backup run: unknown target': { args: () => ['backup', 'run', '--target', 'cloud', '--lab-dir', D('no-lab-here')], says: /--target "cloud" is not a target/ },
  'backup run: unreachable URL': { args: () => ['backup', 'run', '--url', UNREACHABLE, '--backup-dir', D('backups-url')], says: /Cannot reach u@127\.0\.0\.1:1/ },
  'backup run: backup directory under /proc': { args: () => ['backup', 'run', '--backup-dir', '/proc/x', '--lab-dir', D('no-lab-here')], says: /backup directory \/proc\/x is under \/proc/ },
  'backup list: backup directory is a file': { args: () => ['backup', 'list', '--backup-dir', D('afile')], says: /backup directory \S*afile is not a directory/ },
  'backup list: lab directory under /proc': { args: () => ['backup', 'list', '--lab-dir', '/proc/x'], says: /lab directory \/proc\/x is under \/proc/ },
  'backup prune: bad number of days': { args: () => ['backup', 'prune', '--keep-days', 'x'], says: /"x" is not a number of days/ },
  'backup prune: backup directory is /dev/null': { args: () => ['backup', 'prune', '--keep-days', '3', '--backup-dir', '/dev/null'], says: /backup directory \/dev\/null is under \/dev/ },
  'backup verify: no backup': { args: () => ['backup', 'verify', '--backup-dir', D('empty-backups')], says: /no complete backup in \S*empty-backups/ },
  'backup verify: unknown backup id': { args: () => ['backup', 'verify', 'nope', '--backup-dir', D('empty-backups')], says: /no backup "nope" in \S*empty-backups/ },
  'backup verify: lab directory is a file': { args: () => ['backup', 'verify', '--lab-dir', D('afile')], says: /lab directory \S*afile is not a directory/ },

  // restore
  'restore: bad --to-time': { args: () => ['restore', '--to-time', 'yesterday', '--lab-dir', D('no-lab-here')], says: /--to-time "yesterday" is not a time/ },
  'restore: bad --to-lsn': { args: () => ['restore', '--to-lsn', 'zz', '--lab-dir', D('no-lab-here')], says: /--to-lsn "zz" is not a WAL position/ },
  'restore: bad --to-xid': { args: () => ['restore', '--to-xid', 'abc', '--dry-run', '--lab-dir', D('no-lab-here')], says: /--to-xid "abc" is not a transaction id/ },
  'restore: no recovery target': { args: () => ['restore', '--dry-run', '--lab-dir', D('no-lab-here')], says: /exactly one of --to-time, --to-lsn, --to-xid or --before; none was given/ },
  'restore: two recovery targets': { args: () => ['restore', '--to-xid', '5', '--to-lsn', '0/1', '--dry-run', '--lab-dir', D('no-lab-here')], says: /exactly one of .*; 2 were given/ },
  'restore: nothing to do with the data': { args: () => ['restore', '--to-xid', '5', '--lab-dir', D('no-lab-here')], says: /what to do with the restored data.*\n.*--copy-table/ },
  'restore: bad --copy-table': { args: () => ['restore', '--to-xid', '5', '--copy-table', 'payments', '--lab-dir', D('no-lab-here')], says: /--copy-table "payments" does not name a table/ },
  'restore: lab not running': { args: () => ['restore', '--to-xid', '5', '--dry-run', '--lab-dir', D('no-lab-here')], says: /lab in \S*no-lab-here is not running/ },
  'restore: lab directory under /proc': { args: () => ['restore', '--to-xid', '5', '--dry-run', '--lab-dir', '/proc/x'], says: /lab directory \/proc\/x is under \/proc/ },

  // no command
  'migration lint: path that does not exist': { args: () => ['migration', 'lint', D('no-such.sql')], says: /no-such\.sql does not exist/ },
  'migration lint: directory without migrations': { args: () => ['migration', 'lint', D('adir')], says: /No migration found in \S*adir/ },
  'migration lint: no path': { args: () => ['migration', 'lint'], says: /missing required argument 'paths'/ },
  'unknown command': { args: () => ['frobnicate'], says: /unknown command 'frobnicate'/ },
};

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
const ROW_LIMIT_MS = 10_000;

describe('pgdrill: every bad input is a clear error (exit 1, named on stderr, no bug report, no stack, quick)', () => {
  beforeAll(() => {
    dir = tempDir('bad-input');
    writeFixtures();
  });
  // The temporary directories' cleanup stops every lab it finds; this one is broken on purpose.
  afterAll(() => rmSync(D('lab-corrupt'), { recursive: true, force: true }));

  it.each(Object.entries(rows))('%s', async (_name, row) => {
    const started = performance.now();
    const run = await runCli(row.args(), row.env ?? {}, dir);
    const tookMs = performance.now() - started;
    const shown = `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`;
    expect(run.code, shown).toBe(1);
    expect(run.stderr, shown).toMatch(row.says);
    expect(run.stderr, shown).not.toMatch(/a bug in pgdrill/);
    expect(run.stderr, shown).not.toMatch(STACK_FRAME);
    expect(tookMs, shown).toBeLessThan(ROW_LIMIT_MS);
  });

  it('ends within a second of SIGTERM or SIGINT while it is still loading a definition', async () => {
    const hanging = D('hanging-scenario.mts');
    // A definition file whose loading never finishes (a top-level await on a timer that keeps the process busy).
    writeFileSync(hanging, 'setInterval(() => {}, 1000);\nawait new Promise(() => {});\nexport default {};\n');
    for (const [args, signal] of [[['drill', hanging], 'SIGTERM'], [['guide', hanging, '--dry-run'], 'SIGINT']] as const) {
      const { child, done } = startCli([...args], NO_PG, dir);
      await new Promise((r) => setTimeout(r, 2500));
      expect(child.exitCode, `${args.join(' ')} should still be loading`).toBeNull();
      const sent = performance.now();
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const run = await done;
      clearTimeout(killer);
      expect(performance.now() - sent, args.join(' ')).toBeLessThan(1000);
      expect(run.signal ?? run.code, args.join(' ')).not.toBe('SIGKILL');
    }
  });

  it('a lab directory under /proc neither spins nor ignores SIGTERM (it used to need SIGKILL)', async () => {
    const { child, done } = startCli(['drill', 'connection-loss', '--lab-dir', '/proc/x'], NO_PG, dir);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const early = await Promise.race([done, new Promise<undefined>((r) => setTimeout(r, 3000))]);
    let run = early;
    if (!run) {
      // Still running after 3 s: it must at least honour SIGTERM within a second.
      const sent = performance.now();
      child.kill('SIGTERM');
      run = await done;
      expect(performance.now() - sent).toBeLessThan(1000);
    }
    clearTimeout(killer);
    expect(run.signal).not.toBe('SIGKILL');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/lab directory \/proc\/x is under \/proc/);
  });
});
