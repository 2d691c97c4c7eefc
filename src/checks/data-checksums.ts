import { defineCheck } from './check.ts';

/** `data-checksums`: the cluster detects corrupted pages (initdb --data-checksums). */
export const dataChecksumsCheck = defineCheck<{ on: boolean }>({
  id: 'data-checksums',
  group: 'databases',
  title: 'Data checksums on',
  seedSection: '6. Disaster Recovery: Scenario 3 (Data Corruption)',
  expected: 'data_checksums = on, so a corrupted page is detected on read',
  async read(ctx) {
    const [row] = await ctx.query(null, "SELECT current_setting('data_checksums') = 'on' AS on");
    return { on: row?.on === true };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'data_checksums = on' };
    return { status: 'fail', found: 'data_checksums = off: corrupted pages go unnoticed', fix: 'stop the server and run pg_checksums --enable -D <data directory> (or initdb --data-checksums and restore into it)' };
  },
});
