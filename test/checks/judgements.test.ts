import { describe, expect, it } from 'vitest';
import { backupRestoreTestedCheck } from '../../src/checks/backup-restore-tested.ts';
import { backupsRecentCheck } from '../../src/checks/backups-recent.ts';
import type { CheckResult } from '../../src/checks/check.ts';
import { connectionHeadroomCheck } from '../../src/checks/connection-headroom.ts';
import { dataChecksumsCheck } from '../../src/checks/data-checksums.ts';
import { gucMs, settingIn } from '../../src/checks/guc.ts';
import { CHECKS } from '../../src/checks/index.ts';
import { replicationLagCheck } from '../../src/checks/replication-lag.ts';
import { overallStatus, selectChecks } from '../../src/checks/run-checks.ts';
import { slowQueryLogCheck } from '../../src/checks/slow-query-log.ts';
import { nonSslAccepts, type HbaRule } from '../../src/checks/ssl.ts';
import { statementTimeoutCheck } from '../../src/checks/statement-timeout.ts';
import { wraparoundCheck } from '../../src/checks/wraparound.ts';

/**
 * The judgements of the checks whose breaks the lab test cannot make
 * cheaply (a full server, a day-old backup, a lagging replica, checksums
 * off), on facts as their `read` returns them; and the parts every check
 * shares.
 */
describe('check judgements', () => {
  it('registers 20 checks under unique kebab-case ids, each citing the seed', () => {
    expect(CHECKS).toHaveLength(20);
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(20);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(c.seedSection).toMatch(/^\d+\. /);
      expect(c.expected.length).toBeGreaterThan(10);
    }
  });

  it('--only takes check ids and groups, in registry order; an unknown name is refused', () => {
    expect(selectChecks(['backups', 'ssl']).map((c) => c.id)).toEqual(['ssl', 'wal-archiving', 'archive-failures', 'backups-recent', 'backup-restore-tested']);
    expect(selectChecks(['security']).map((c) => c.id)).toEqual(['service-roles', 'least-privilege', 'ssl']);
    expect(() => selectChecks(['sll'])).toThrow(/--only names no check or group "sll"/);
  });

  it('the overall status: a failure fails; a warning fails only with --fail-on warn', () => {
    const r = (status: CheckResult['status']) => ({ status }) as CheckResult;
    expect(overallStatus([r('pass'), r('skip')])).toBe('pass');
    expect(overallStatus([r('pass'), r('warn')])).toBe('warn');
    expect(overallStatus([r('pass'), r('warn')], 'warn')).toBe('fail');
    expect(overallStatus([r('fail'), r('warn')])).toBe('fail');
  });

  it('reads time settings as PostgreSQL does', () => {
    expect(gucMs('30s')).toBe(30_000);
    expect(gucMs('0')).toBe(0);
    expect(gucMs('1min')).toBe(60_000);
    expect(gucMs('250')).toBe(250);
    expect(gucMs('-1')).toBe(-1);
    expect(gucMs('soon')).toBeUndefined();
    expect(settingIn(['search_path=public', 'statement_timeout=0'], 'statement_timeout')).toBe('0');
    expect(settingIn(null, 'statement_timeout')).toBeUndefined();
  });

  it('statement-timeout: a server default of 0 fails with ALTER SYSTEM; a role at 45 s fails with ALTER ROLE', () => {
    const v = statementTimeoutCheck.judge([
      { role: 'a', database: 'a_db', ms: 0, source: 'server' },
      { role: 'b', database: 'b_db', ms: 45_000, source: 'role' },
      { role: 'c', database: 'c_db', ms: 5000, source: 'role in database' },
    ]);
    expect(v.status).toBe('fail');
    expect(v.found).toBe('a: 0 (disabled) (server), b: 45 s (role)');
    expect(v.fix).toBe("ALTER SYSTEM SET statement_timeout = '30s'; SELECT pg_reload_conf(); ALTER ROLE \"b\" SET statement_timeout = '30s';");
  });

  it('ssl: a non-SSL rule is acceptable only when an earlier reject covers its addresses', () => {
    const rule = (line: number, type: string, users: string[], address: string | null, netmask: string | null, method: string): HbaRule => ({ line, type, databases: ['all'], users, address, netmask, method });
    const accept = rule(9, 'host', ['all'], '127.0.0.1', '255.255.255.255', 'scram-sha-256');
    expect(nonSslAccepts([accept], 'svc', 'db', []).map((r) => r.line)).toEqual([9]);
    expect(nonSslAccepts([rule(1, 'hostnossl', ['svc'], '0.0.0.0', '0.0.0.0', 'reject'), accept], 'svc', 'db', [])).toEqual([]);
    // A reject for another network, another role, or one after the accepting line does not protect it.
    expect(nonSslAccepts([rule(1, 'hostnossl', ['svc'], '10.0.0.0', '255.0.0.0', 'reject'), accept], 'svc', 'db', [])).toHaveLength(1);
    expect(nonSslAccepts([rule(1, 'hostnossl', ['other'], '0.0.0.0', '0.0.0.0', 'reject'), accept], 'svc', 'db', [])).toHaveLength(1);
    expect(nonSslAccepts([accept, rule(10, 'hostnossl', ['svc'], '0.0.0.0', '0.0.0.0', 'reject')], 'svc', 'db', [])).toHaveLength(1);
    // Group membership (+group) and hostssl lines.
    expect(nonSslAccepts([rule(1, 'hostnossl', ['+services'], '127.0.0.0', '255.0.0.0', 'reject'), accept], 'svc', 'db', ['services'])).toEqual([]);
    expect(nonSslAccepts([rule(1, 'hostssl', ['all'], '0.0.0.0', '0.0.0.0', 'scram-sha-256')], 'svc', 'db', [])).toEqual([]);
  });

  it('connection-headroom: 78 of 97 usable connections in use fails; pools summing past the line fail too', () => {
    expect(connectionHeadroomCheck.judge({ inUse: 10, maxConnections: 100, reserved: 3, poolSum: 40 }).status).toBe('pass');
    const full = connectionHeadroomCheck.judge({ inUse: 78, maxConnections: 100, reserved: 3, poolSum: 40 });
    expect(full).toMatchObject({ status: 'fail', found: '78 of 97 usable connections in use (max_connections 100 - 3 reserved); service pools total 40; alert line 77' });
    expect(connectionHeadroomCheck.judge({ inUse: 5, maxConnections: 100, reserved: 3, poolSum: 80 })).toMatchObject({ status: 'fail', fix: expect.stringMatching(/shrink the service pools \(sum 80\) to at most 77/) });
  });

  it('backups-recent: a verified backup 25 h old fails; an unverified newer one is named', () => {
    const h = 3_600_000;
    expect(backupsRecentCheck.judge({ root: '/b', newest: { id: 'n', ageMs: h }, newestVerified: { id: 'v', ageMs: 2 * h } })).toMatchObject({ status: 'pass', found: 'newest verified backup v is 2 h old (newer, unverified: n)' });
    expect(backupsRecentCheck.judge({ root: '/b', newest: { id: 'v', ageMs: 25 * h }, newestVerified: { id: 'v', ageMs: 25 * h } }).status).toBe('fail');
    expect(backupsRecentCheck.judge({ root: '/b', newest: { id: 'n', ageMs: h }, newestVerified: null })).toMatchObject({ status: 'fail', fix: 'pgdrill backup verify' });
  });

  it('backup-restore-tested: a restore of 31 min fails; a verify 8 days ago fails unless a drill passed since', () => {
    const d = 86_400_000;
    expect(backupRestoreTestedCheck.judge({ newestVerify: { id: 'b', ageMs: d, restoreMs: 31 * 60_000 }, newestDrill: null, hasStore: true }).found).toMatch(/restore took longer than 30 min/);
    expect(backupRestoreTestedCheck.judge({ newestVerify: { id: 'b', ageMs: 8 * d, restoreMs: 1000 }, newestDrill: null, hasStore: true }).status).toBe('fail');
    expect(backupRestoreTestedCheck.judge({ newestVerify: { id: 'b', ageMs: 8 * d, restoreMs: 1000 }, newestDrill: { ageMs: 2 * d }, hasStore: true }).status).toBe('pass');
  });

  it('replication-lag, data-checksums, wraparound, slow-query-log', () => {
    expect(replicationLagCheck.judge([{ name: 'r1', state: 'streaming', replayLagMs: null }]).status).toBe('pass');
    expect(replicationLagCheck.judge([{ name: 'r1', state: 'streaming', replayLagMs: 1500 }])).toMatchObject({ status: 'fail', found: 'r1 streaming, replay lag 1.5 s' });
    expect(replicationLagCheck.judge([{ name: 'r1', state: 'catchup', replayLagMs: 10 }]).status).toBe('fail');
    expect(dataChecksumsCheck.judge({ on: false })).toMatchObject({ status: 'fail', fix: expect.stringMatching(/pg_checksums --enable/) });
    expect(wraparoundCheck.judge({ database: 'x', age: 1_200_000_000 })).toMatchObject({ status: 'fail', fix: expect.stringMatching(/VACUUM \(FREEZE/) });
    expect(wraparoundCheck.judge({ database: 'x', age: 1000 }).status).toBe('pass');
    expect(slowQueryLogCheck.judge({ ms: 5000 }).status).toBe('warn');
    expect(slowQueryLogCheck.judge({ ms: 200 }).status).toBe('pass');
  });
});
