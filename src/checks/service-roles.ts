import pg from 'pg';
import { defineCheck, listSome } from './check.ts';

/** What the server says of one service role (absent: it does not exist). */
export interface ServiceRoleFacts {
  service: string;
  role: string;
  database: string;
  exists: boolean;
  canLogin: boolean;
  superuser: boolean;
  createRole: boolean;
  createDb: boolean;
  bypassRls: boolean;
  replication: boolean;
  ownsDatabase: boolean;
  /** Powerful roles it is a member of (superusers, pg_write_all_data, pg_execute_server_program, ...). */
  powerfulMemberships: string[];
}

const POWERFUL_ROLES = ['pg_write_all_data', 'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'];

/** `service-roles`: each service connects as a role of its own, with no more power than a login. */
export const serviceRolesCheck = defineCheck<ServiceRoleFacts[]>({
  id: 'service-roles',
  group: 'security',
  title: 'Service-specific roles, not superusers',
  seedSection: '8. Security Hardening: Least Privilege Database Users',
  expected: 'one LOGIN role per service, distinct; not superuser, not the database owner, no CREATEROLE, CREATEDB, BYPASSRLS or REPLICATION, no membership in a superuser or pg_write_all_data-like role',
  async read(ctx) {
    const out: ServiceRoleFacts[] = [];
    for (const s of ctx.system.services) {
      const [r] = await ctx.query(
        null,
        `SELECT r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication,
           coalesce((SELECT d.datdba = r.oid FROM pg_database d WHERE d.datname = $2), false) AS owns_database,
           ARRAY(SELECT p.rolname::text FROM pg_roles p WHERE p.oid <> r.oid AND (p.rolsuper OR p.rolname = ANY($3::text[])) AND pg_has_role(r.oid, p.oid, 'MEMBER') ORDER BY 1) AS powerful
         FROM pg_roles r WHERE r.rolname = $1`,
        [s.role, s.database, POWERFUL_ROLES],
      );
      out.push({
        service: s.name, role: s.role, database: s.database, exists: r !== undefined,
        canLogin: r?.rolcanlogin === true, superuser: r?.rolsuper === true, createRole: r?.rolcreaterole === true, createDb: r?.rolcreatedb === true,
        bypassRls: r?.rolbypassrls === true, replication: r?.rolreplication === true, ownsDatabase: r?.owns_database === true,
        powerfulMemberships: (r?.powerful as string[] | undefined) ?? [],
      });
    }
    return out;
  },
  judge(roles) {
    const problems: string[] = [];
    const fixes: string[] = [];
    const seen = new Map<string, string>();
    for (const r of roles) {
      const other = seen.get(r.role);
      if (other) problems.push(`${r.service} and ${other} share the role ${r.role}`);
      seen.set(r.role, r.service);
      const id = pg.escapeIdentifier(r.role);
      if (!r.exists) {
        problems.push(`${r.role} does not exist`);
        fixes.push(`CREATE ROLE ${id} LOGIN PASSWORD '…'; (fixtures/roles.sql)`);
        continue;
      }
      const bad = [
        !r.canLogin && 'cannot log in',
        r.superuser && 'is a SUPERUSER',
        r.createRole && 'has CREATEROLE',
        r.createDb && 'has CREATEDB',
        r.bypassRls && 'has BYPASSRLS',
        r.replication && 'has REPLICATION',
      ].filter((x): x is string => Boolean(x));
      if (bad.length) {
        problems.push(`${r.role} ${bad.join(', ')}`);
        fixes.push(`ALTER ROLE ${id} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOREPLICATION;`);
      }
      if (r.ownsDatabase) {
        problems.push(`${r.role} owns ${r.database}`);
        fixes.push(`ALTER DATABASE ${pg.escapeIdentifier(r.database)} OWNER TO <an admin role>;`);
      }
      if (r.powerfulMemberships.length) {
        problems.push(`${r.role} is a member of ${r.powerfulMemberships.join(', ')}`);
        fixes.push(...r.powerfulMemberships.map((m) => `REVOKE ${pg.escapeIdentifier(m)} FROM ${id};`));
      }
    }
    if (problems.length === 0) return { status: 'pass', found: `${roles.length} roles (${listSome(roles.map((r) => r.role))}): login only, none owns its database` };
    return { status: 'fail', found: listSome(problems, 3), fix: fixes.join(' ') || 'give each service a LOGIN role of its own (fixtures/roles.sql)' };
  },
});
