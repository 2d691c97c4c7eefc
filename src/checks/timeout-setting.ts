import pg from 'pg';
import { defineCheck, listSome, type Check } from './check.ts';
import { gucMs, settingIn, showMs } from './guc.ts';

/** The seed's limit for statement_timeout and idle_in_transaction_session_timeout (section 4: 30000 ms). */
export const SEED_TIMEOUT_MS = 30_000;

/** Where a service role's effective value of a timeout comes from, and the value (ms; 0 disabled; null unknown). */
export interface RoleTimeout {
  role: string;
  database: string;
  ms: number | null;
  source: 'role in database' | 'role' | 'database' | 'server' | 'unknown';
}

/** The server-wide value as the checking session sees it; null when the checking role's own settings hide it. */
async function serverValue(ctx: Parameters<Check['read']>[0], name: string): Promise<number | null> {
  const [row] = await ctx.query(null, 'SELECT setting, source FROM pg_settings WHERE name = $1', [name]);
  if (!row || ['user', 'database', 'database user', 'client', 'session'].includes(String(row.source))) return null;
  return gucMs(String(row.setting)) ?? null;
}

/**
 * A check that each service role's effective `setting` (its role-in-
 * database, role, database or server value, in PostgreSQL's order of
 * precedence) is set and at most the seed's 30 s.
 */
export function timeoutCheck(id: string, setting: string, title: string): Check<RoleTimeout[]> {
  return defineCheck<RoleTimeout[]>({
    id,
    group: 'connections',
    title,
    seedSection: '4. Connection Pooling: What to Configure',
    expected: `${setting} set (not 0) and at most ${showMs(SEED_TIMEOUT_MS)} for every service role (role, database or server setting)`,
    async read(ctx) {
      const server = await serverValue(ctx, setting);
      const out: RoleTimeout[] = [];
      for (const s of ctx.system.services) {
        const rows = await ctx.query(
          null,
          `SELECT (rs.setrole <> 0) AS has_role, (rs.setdatabase <> 0) AS has_db, rs.setconfig
             FROM pg_db_role_setting rs
            WHERE (rs.setrole = 0 OR rs.setrole = (SELECT oid FROM pg_roles WHERE rolname = $1))
              AND (rs.setdatabase = 0 OR rs.setdatabase = (SELECT oid FROM pg_database WHERE datname = $2))`,
          [s.role, s.database],
        );
        const at = (role: boolean, db: boolean) => settingIn(rows.find((r) => r.has_role === role && r.has_db === db)?.setconfig, setting);
        const layers: Array<[RoleTimeout['source'], string | undefined]> = [['role in database', at(true, true)], ['role', at(true, false)], ['database', at(false, true)]];
        const found = layers.find(([, v]) => v !== undefined);
        if (found) out.push({ role: s.role, database: s.database, ms: gucMs(found[1]!) ?? null, source: found[0] });
        else out.push({ role: s.role, database: s.database, ms: server, source: server === null ? 'unknown' : 'server' });
      }
      return out;
    },
    judge(roles) {
      const bad = roles.filter((r) => r.ms !== null && (r.ms <= 0 || r.ms > SEED_TIMEOUT_MS));
      const unknown = roles.filter((r) => r.ms === null);
      const show = (r: RoleTimeout) => `${r.role}: ${r.ms === null ? 'unknown' : r.ms <= 0 ? '0 (disabled)' : showMs(r.ms)} (${r.source})`;
      if (bad.length) {
        return {
          status: 'fail',
          found: listSome(bad.map(show), 3),
          fix: bad.map((r) => (r.source === 'server' ? `ALTER SYSTEM SET ${setting} = '30s'; SELECT pg_reload_conf();` : r.source === 'database' ? `ALTER DATABASE ${pg.escapeIdentifier(r.database)} SET ${setting} = '30s';` : r.source === 'role in database' ? `ALTER ROLE ${pg.escapeIdentifier(r.role)} IN DATABASE ${pg.escapeIdentifier(r.database)} SET ${setting} = '30s';` : `ALTER ROLE ${pg.escapeIdentifier(r.role)} SET ${setting} = '30s';`)).filter((f, i, a) => a.indexOf(f) === i).join(' '),
        };
      }
      if (unknown.length) return { status: 'warn', found: `${listSome(unknown.map((r) => r.role))}: the server-wide value is hidden by the checking role's own setting`, fix: `check SHOW ${setting} as a service role, or set it per role: ALTER ROLE <role> SET ${setting} = '30s';` };
      return { status: 'pass', found: listSome(roles.map(show), 4) };
    },
  });
}
