import pg from 'pg';
import { defineCheck, listSome } from './check.ts';

/** One privilege a service role holds beyond what the seed gives it, with the statement that takes it back. */
export interface ExcessPrivilege {
  role: string;
  what: string;
  fix: string;
}

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
/** What a default ACL may grant a service role, by pg_default_acl.defaclobjtype. */
const DEFAULT_ACL_ALLOWED: Record<string, { kind: string; allowed: string[] }> = {
  r: { kind: 'TABLES', allowed: [] },
  S: { kind: 'SEQUENCES', allowed: ['USAGE', 'SELECT'] },
  f: { kind: 'FUNCTIONS', allowed: ['EXECUTE'] },
  T: { kind: 'TYPES', allowed: ['USAGE'] },
  n: { kind: 'SCHEMAS', allowed: ['USAGE'] },
};

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/**
 * `least-privilege`: in its own database, each service role holds only the
 * seed's table privileges (SELECT, INSERT, UPDATE), no DELETE or TRUNCATE,
 * no DDL (CREATE on a schema or the database, ownership of anything), no
 * default privileges granting more, and CONNECT on no other service's
 * database.
 */
export const leastPrivilegeCheck = defineCheck<{ roles: string[]; excess: ExcessPrivilege[] }>({
  id: 'least-privilege',
  group: 'security',
  title: 'Least-privilege grants',
  seedSection: '8. Security Hardening: Least Privilege Database Users',
  expected: 'SELECT, INSERT, UPDATE on its own tables only: no DELETE, TRUNCATE, CREATE, ownership, wider default privileges, or CONNECT to other services\' databases',
  async read(ctx) {
    const excess: ExcessPrivilege[] = [];
    const services = ctx.system.services;
    for (const s of services) {
      const role = pg.escapeIdentifier(s.role);
      const allowed = new Set(s.tablePrivileges.map((p) => p.toUpperCase()));
      const tablePrivs = TABLE_PRIVILEGES.filter((p) => !allowed.has(p));
      const [exists] = await ctx.query(null, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [s.role]);
      if (!exists) continue; // service-roles reports a missing role
      const tables = await ctx.query(
        s.database,
        `SELECT n.nspname AS schema, c.relname AS name, p.priv
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN unnest($2::text[]) AS p(priv)
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS} AND has_table_privilege($1, c.oid, p.priv)
          ORDER BY 1, 2, 3`,
        [s.role, tablePrivs],
      );
      for (const t of tables) {
        const rel = `${pg.escapeIdentifier(String(t.schema))}.${pg.escapeIdentifier(String(t.name))}`;
        excess.push({ role: s.role, what: `${t.priv} on ${s.database}.${t.schema}.${t.name}`, fix: `REVOKE ${t.priv} ON ${rel} FROM ${role};` });
      }
      const schemas = await ctx.query(s.database, `SELECT n.nspname AS schema FROM pg_namespace n WHERE ${USER_SCHEMAS} AND has_schema_privilege($1, n.oid, 'CREATE') ORDER BY 1`, [s.role]);
      for (const n of schemas) excess.push({ role: s.role, what: `CREATE on schema ${s.database}.${n.schema}`, fix: `REVOKE CREATE ON SCHEMA ${pg.escapeIdentifier(String(n.schema))} FROM ${role}, PUBLIC;` });
      const owned = await ctx.query(
        s.database,
        `SELECT 'schema ' || n.nspname AS what FROM pg_namespace n WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND ${USER_SCHEMAS}
         UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND ${USER_SCHEMAS}
         UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND ${USER_SCHEMAS}
         ORDER BY 1`,
        [s.role],
      );
      for (const o of owned) excess.push({ role: s.role, what: `owns ${s.database} ${o.what}`, fix: `REASSIGN OWNED BY ${role} TO <an admin role>; (in ${s.database}) then re-grant the seed's privileges` });
      const defaults = await ctx.query(
        s.database,
        `SELECT d.defaclobjtype AS objtype, coalesce(n.nspname, '') AS schema, pg_get_userbyid(d.defaclrole) AS owner, a.privilege_type AS priv
           FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN aclexplode(d.defaclacl) a
          WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1, 2, 4`,
        [s.role],
      );
      for (const d of defaults) {
        const spec = DEFAULT_ACL_ALLOWED[String(d.objtype)];
        const ok = spec ? (d.objtype === 'r' ? allowed.has(String(d.priv)) : spec.allowed.includes(String(d.priv))) : false;
        if (ok) continue;
        const inSchema = d.schema ? ` IN SCHEMA ${pg.escapeIdentifier(String(d.schema))}` : '';
        excess.push({
          role: s.role,
          what: `default privilege ${d.priv} on new ${spec?.kind.toLowerCase() ?? d.objtype}${d.schema ? ` in ${s.database}.${d.schema}` : ` in ${s.database}`}`,
          fix: `ALTER DEFAULT PRIVILEGES FOR ROLE ${pg.escapeIdentifier(String(d.owner))}${inSchema} REVOKE ${d.priv} ON ${spec?.kind ?? 'TABLES'} FROM ${role};`,
        });
      }
      const [db] = await ctx.query(null, "SELECT has_database_privilege($1, $2, 'CREATE') AS can_create", [s.role, s.database]);
      if (db?.can_create === true) excess.push({ role: s.role, what: `CREATE on database ${s.database}`, fix: `REVOKE CREATE ON DATABASE ${pg.escapeIdentifier(s.database)} FROM ${role}, PUBLIC;` });
      const others = services.filter((o) => o.database !== s.database).map((o) => o.database);
      const foreign = await ctx.query(null, "SELECT datname FROM pg_database WHERE datname = ANY($2::text[]) AND has_database_privilege($1, datname, 'CONNECT') ORDER BY 1", [s.role, others]);
      for (const f of foreign) excess.push({ role: s.role, what: `CONNECT on ${f.datname}`, fix: `REVOKE CONNECT ON DATABASE ${pg.escapeIdentifier(String(f.datname))} FROM ${role}, PUBLIC;` });
    }
    return { roles: services.map((s) => s.role), excess };
  },
  judge({ roles, excess }) {
    if (excess.length === 0) return { status: 'pass', found: `${roles.length} service roles hold no privilege beyond the seed's` };
    return { status: 'fail', found: `${excess.length} privilege(s) beyond the seed's: ${listSome(excess.map((e) => `${e.role}: ${e.what}`), 3)}`, fix: excess.map((e) => e.fix).filter((f, i, a) => a.indexOf(f) === i).join(' ') };
  },
});
