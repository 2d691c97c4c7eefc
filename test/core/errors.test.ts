import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { BugError, CommandError, UserError, describeError, isHarnessBug } from '../../src/core/errors.ts';

function serverError(fields: Partial<pg.DatabaseError> & { message: string }): pg.DatabaseError {
  const error = new pg.DatabaseError(fields.message, 0, 'error');
  return Object.assign(error, { severity: 'ERROR', ...fields });
}

describe('describeError: an error a fault or step raised, as what it is', () => {
  it('a PostgreSQL error: severity, SQLSTATE, message, detail, hint, the first line of where', () => {
    const error = serverError({ message: 'could not read block 3 in file "base/1/2"', code: 'XX001', detail: 'invalid page', hint: 'restore the table', where: 'SQL function f\nline 2' });
    expect(describeError(error)).toBe('PostgreSQL ERROR XX001: could not read block 3 in file "base/1/2" (detail: invalid page; hint: restore the table; where: SQL function f)');
    expect(describeError(serverError({ message: 'relation "x" does not exist', code: '42P01' }))).toBe('PostgreSQL ERROR 42P01: relation "x" does not exist');
    expect(isHarnessBug(error)).toBe(false);
  });

  it('a failed command: the command, exit code or signal, the end of stderr', () => {
    const stderr = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n');
    const error = new CommandError({ command: 'pg_basebackup -D /x', exitCode: 1, signal: null, stderrTail: stderr, durationMs: 1234.4 });
    expect(describeError(error)).toBe('command `pg_basebackup -D /x` exited with code 1 after 1234 ms; stderr: line 4 | line 5 | line 6 | line 7 | line 8');
    expect(describeError(new CommandError({ command: 'psql', exitCode: null, signal: 'SIGKILL', stderrTail: '', durationMs: 5 }))).toBe('command `psql` was killed by SIGKILL after 5 ms (no stderr)');
    expect(describeError(new CommandError({ command: 'nope', exitCode: null, signal: null, stderrTail: 'spawn nope ENOENT', durationMs: 1 }))).toBe('command `nope` could not be started after 1 ms; stderr: spawn nope ENOENT');
    expect(isHarnessBug(error)).toBe(false);
  });

  it('a user error with its next step; a system error by its message', () => {
    expect(describeError(new UserError('The lab is not running.', 'Run `pgdrill lab up`.'))).toBe('The lab is not running.\nRun `pgdrill lab up`.');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(describeError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(isHarnessBug(refused)).toBe(false);
  });

  it('anything else is a bug in pgdrill', () => {
    expect(isHarnessBug(new TypeError('x is undefined'))).toBe(true);
    expect(isHarnessBug(new BugError('broken invariant'))).toBe(true);
    expect(isHarnessBug('a string')).toBe(true);
  });
});
