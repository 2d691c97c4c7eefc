import pg from 'pg';
import { defineCheck, listSome } from './check.ts';

/** `databases`: every service database of the system exists. */
export const databasesCheck = defineCheck<{ wanted: string[]; present: string[] }>({
  id: 'databases',
  group: 'databases',
  title: 'Service databases exist',
  seedSection: '10. Pre-Production Checklist: All 4 databases created',
  expected: 'every service database exists',
  async read(ctx) {
    const wanted = ctx.system.services.map((s) => s.database);
    const rows = await ctx.query(null, 'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])', [wanted]);
    return { wanted, present: rows.map((r) => String(r.datname)) };
  },
  judge({ wanted, present }) {
    const missing = wanted.filter((d) => !present.includes(d));
    if (missing.length === 0) return { status: 'pass', found: `all ${wanted.length} exist (${listSome(wanted)})` };
    return { status: 'fail', found: `missing: ${listSome(missing)}`, fix: missing.map((d) => `CREATE DATABASE ${pg.escapeIdentifier(d)};`).join(' ') + ' then load its schema and grants' };
  },
});
