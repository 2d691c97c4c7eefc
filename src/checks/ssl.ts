import { isIPv4 } from 'node:net';
import pg from 'pg';
import { defineCheck, listSome } from './check.ts';

/** One line of pg_hba.conf as pg_hba_file_rules shows it. */
export interface HbaRule {
  line: number;
  type: string;
  databases: string[];
  users: string[];
  address: string | null;
  netmask: string | null;
  method: string;
}

/** What the `ssl` check reads: the server's `ssl`, this connection's encryption, and (when visible) pg_hba's rules. */
export interface SslFacts {
  targetKind: 'lab' | 'url' | 'rds';
  sslOn: boolean;
  connectionSsl: boolean;
  /** null when the checking role may not read pg_hba_file_rules (superuser only by default). */
  hba: HbaRule[] | null;
  /** Each service role with its database and the roles it is a member of (for `+group` entries). */
  services: Array<{ role: string; database: string; memberOf: string[] }>;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function prefixLength(netmask: string | null, address: string): number {
  if (!netmask) return isIPv4(address) ? 32 : 128;
  if (isIPv4(netmask)) return ipv4ToInt(netmask).toString(2).replace(/0+$/, '').length;
  return netmask.split(':').map((h) => (h ? parseInt(h, 16).toString(2).replace(/0+$/, '').length : 0)).reduce((a, b) => a + b, 0);
}

/** Whether the rule `outer`'s address range contains all of `inner`'s (keywords `all` cover everything; others only themselves). */
function covers(outer: HbaRule, inner: HbaRule): boolean {
  if (outer.address === null || outer.address === 'all') return true;
  if (inner.address === null || inner.address === 'all') return false;
  if (isIPv4(outer.address) !== isIPv4(inner.address)) return false;
  const op = prefixLength(outer.netmask, outer.address);
  const ip = prefixLength(inner.netmask, inner.address);
  if (op > ip) return false;
  if (op === 0) return true;
  if (!isIPv4(outer.address)) return outer.address === inner.address && op === ip;
  const shift = 32 - op;
  return Math.floor(ipv4ToInt(outer.address) / 2 ** shift) === Math.floor(ipv4ToInt(inner.address) / 2 ** shift);
}

function matches(rule: HbaRule, role: string, database: string, memberOf: string[]): boolean {
  const db = rule.databases.some((d) => d === 'all' || d === database || (d === 'sameuser' && database === role) || (d === 'samerole' && memberOf.includes(database)));
  const user = rule.users.some((u) => u === 'all' || u === role || (u.startsWith('+') && memberOf.includes(u.slice(1))));
  return db && user;
}

/**
 * The pg_hba rules that would let `role` connect to `database` over TCP
 * without SSL: `host`/`hostnossl` rules that do not reject, unless an
 * earlier rejecting rule covers their whole address range.
 */
export function nonSslAccepts(rules: readonly HbaRule[], role: string, database: string, memberOf: string[]): HbaRule[] {
  const applicable = rules.filter((r) => (r.type === 'host' || r.type === 'hostnossl') && matches(r, role, database, memberOf));
  const out: HbaRule[] = [];
  applicable.forEach((rule, i) => {
    if (rule.method === 'reject') return;
    const shadowed = applicable.slice(0, i).some((earlier) => earlier.method === 'reject' && covers(earlier, rule));
    if (!shadowed) out.push(rule);
  });
  return out;
}

/**
 * `ssl`: the server has `ssl = on` and pg_hba rejects TCP connections
 * without SSL for every service role; on a --url target, the checking
 * connection itself is encrypted too.
 */
export const sslCheck = defineCheck<SslFacts>({
  id: 'ssl',
  group: 'security',
  title: 'SSL/TLS required',
  seedSection: '8. Security Hardening: Connection Security (sslmode=require)',
  expected: 'ssl = on, and pg_hba.conf rejects non-SSL TCP connections of the service roles (with --url: this connection is encrypted)',
  async read(ctx) {
    const [s] = await ctx.query(null, "SELECT current_setting('ssl') = 'on' AS ssl_on, has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE') AND has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT') AS can_read_hba");
    let hba: HbaRule[] | null = null;
    if (s?.can_read_hba === true) {
      const rows = await ctx.query(null, 'SELECT line_number, type, database, user_name, address, netmask, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number');
      hba = rows.map((r) => ({ line: Number(r.line_number), type: String(r.type), databases: (r.database as string[]) ?? [], users: (r.user_name as string[]) ?? [], address: (r.address as string | null) ?? null, netmask: (r.netmask as string | null) ?? null, method: String(r.auth_method) }));
    }
    const services = [];
    for (const svc of ctx.system.services) {
      const rows = await ctx.query(null, "SELECT p.rolname FROM pg_roles r JOIN pg_roles p ON pg_has_role(r.oid, p.oid, 'MEMBER') WHERE r.rolname = $1", [svc.role]);
      services.push({ role: svc.role, database: svc.database, memberOf: rows.map((r) => String(r.rolname)) });
    }
    return { targetKind: ctx.target.kind, sslOn: s?.ssl_on === true, connectionSsl: ctx.session.connectionSsl, hba, services };
  },
  judge(f) {
    if (!f.sslOn) return { status: 'fail', found: 'ssl = off: connections are not encrypted', fix: "install a certificate (ssl_cert_file, ssl_key_file), ALTER SYSTEM SET ssl = on; SELECT pg_reload_conf(); then reject non-SSL host connections in pg_hba.conf (hostnossl all <service roles> 0.0.0.0/0 reject); on the lab: pgdrill lab up --ssl" };
    if (f.targetKind === 'url' && !f.connectionSsl) return { status: 'fail', found: 'ssl = on, but this connection is not encrypted', fix: 'connect with sslmode=require (or verify-full) and reject non-SSL host connections in pg_hba.conf' };
    if (f.hba === null) {
      if (f.targetKind === 'url') return { status: 'warn', found: 'ssl = on and this connection is encrypted; pg_hba.conf is not visible to this role (superuser only), so whether non-SSL connections are rejected is unknown', fix: 'check pg_hba.conf by hand, or GRANT SELECT ON pg_hba_file_rules TO <checking role>; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO <checking role>;' };
      return { status: 'warn', found: 'ssl = on; pg_hba.conf is not visible to this role', fix: 'run the check as a superuser, or GRANT SELECT ON pg_hba_file_rules TO <checking role>; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO <checking role>;' };
    }
    const open = f.services.flatMap((s) => nonSslAccepts(f.hba!, s.role, s.database, s.memberOf).map((r) => ({ role: s.role, rule: r })));
    if (open.length === 0) return { status: 'pass', found: `ssl = on; pg_hba.conf rejects non-SSL TCP connections of ${f.services.length} service role(s)${f.targetKind === 'url' ? '; this connection is encrypted' : ''}` };
    const lines = [...new Set(open.map((o) => `${o.role} by line ${o.rule.line} (${o.rule.type} ${o.rule.address ?? ''} ${o.rule.method})`))];
    const roles = [...new Set(open.map((o) => pg.escapeIdentifier(o.role)))];
    return { status: 'fail', found: `ssl = on, but pg_hba.conf accepts non-SSL connections of ${listSome(lines, 3)}`, fix: `put "hostnossl all ${roles.join(',')} 0.0.0.0/0 reject" and "hostnossl all ${roles.join(',')} ::/0 reject" first in pg_hba.conf (or make those lines hostssl), then SELECT pg_reload_conf();` };
  },
});
