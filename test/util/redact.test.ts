import { describe, expect, it } from 'vitest';
import { redact, redactDeep, registerSecret } from '../../src/util/redact.ts';

describe('redact', () => {
  it('masks the password of connection URLs', () => {
    expect(redact('connect postgres://payments_service:s3cr%40t@127.0.0.1:5432/payments_db now')).toBe('connect postgres://payments_service:***@127.0.0.1:5432/payments_db now');
    expect(redact('postgresql://u:p@h/db')).toBe('postgresql://u:***@h/db');
  });

  it('masks keyword passwords and PGPASSWORD', () => {
    expect(redact("host=x password='a b' user=y")).toBe('host=x password=*** user=y');
    expect(redact('PGPASSWORD=hunter2 psql')).toBe('PGPASSWORD=*** psql');
  });

  it('masks registered secrets wherever they appear', () => {
    registerSecret('Zq9-generated-secret');
    expect(redact('auth failed for Zq9-generated-secret!')).toBe('auth failed for ***!');
    expect(redactDeep({ a: ['x Zq9-generated-secret'], b: 1 })).toEqual({ a: ['x ***'], b: 1 });
  });

  it('leaves URLs without a password alone', () => {
    expect(redact('http://127.0.0.1:8474/proxies')).toBe('http://127.0.0.1:8474/proxies');
  });
});
