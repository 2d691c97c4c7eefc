import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { UrlTarget } from '../../src/guide/url-target.ts';
import { defaultJournalPath } from '../../src/journal/journal-path.ts';
import { redact } from '../../src/util/redact.ts';

describe('url target', () => {
  it('reads host, port, user, password and database from the URL; the password is a registered secret', () => {
    const t = new UrlTarget('postgresql://ops%40corp:p%2Fss-w0rd-x@db.internal:6543/payments_db?sslmode=require', {});
    expect(t).toMatchObject({ kind: 'url', isLab: false, name: 'db.internal:6543', endpoint: { host: 'db.internal', port: 6543 }, database: 'payments_db' });
    expect(t.adminUrl('postgres')).toBe('postgresql://ops%40corp:p%2Fss-w0rd-x@db.internal:6543/postgres?sslmode=require');
    expect(t.adminUrl('auth_db', { host: '127.0.0.1', port: 7000 })).toBe('postgresql://ops%40corp:p%2Fss-w0rd-x@127.0.0.1:7000/auth_db?sslmode=require');
    expect(t.clientEnv()).toEqual({ PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'ops@corp', PGPASSWORD: 'p/ss-w0rd-x', PGDATABASE: 'payments_db', PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '5' });
    expect(redact('PGPASSWORD is p/ss-w0rd-x')).toBe('PGPASSWORD is ***');
    expect(() => t.serviceUrl('payments')).toThrow(/no service roles/);
  });

  it('defaults the port, database and user, and leaves PGPASSWORD unset without a password', () => {
    const t = new UrlTarget('postgres://[::1]', { USER: 'alice', PGPASSWORD: 'inherited' });
    expect(t).toMatchObject({ name: '[::1]:5432', endpoint: { host: '::1', port: 5432 }, database: 'postgres' });
    expect(t.clientEnv()).toMatchObject({ PGUSER: 'alice', PGHOST: '::1' });
    expect(t.clientEnv()).not.toHaveProperty('PGPASSWORD');
  });

  it('refuses what is not a postgres URL, saying how to write one', () => {
    for (const bad of ['not a url', 'mysql://u:p@h/db', 'postgres://']) expect(() => new UrlTarget(bad, {})).toThrow(UserError);
  });
});

describe('default journal path', () => {
  it('is .pgdrill/journals/<runbook>-<UTC time>.jsonl under the working directory', () => {
    expect(defaultJournalPath('connection-loss', '/srv/ops', new Date(Date.UTC(2024, 2, 5, 3, 12, 9, 450)))).toBe('/srv/ops/.pgdrill/journals/connection-loss-20240305T031209Z.jsonl');
  });
});
