import pg from 'pg';
import { sleep } from '../util/sleep.ts';
import type { Fault } from './fault.ts';

/** application_name of the hogging sessions, so a runbook (or a person) can see who holds the connections. */
export const HOG_APPLICATION = 'pgdrill-hog';

async function openHog(url: string, inTransaction: boolean): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: url, application_name: HOG_APPLICATION, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SET idle_in_transaction_session_timeout = 0');
    if (inTransaction) {
      await client.query('BEGIN');
      await client.query('SELECT 1');
    }
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    if ((error as { code?: string }).code === '53300') return undefined; // too many clients: the server is full
    throw error;
  }
}

/**
 * Connection exhaustion: other services' sessions take every free
 * connection, half of them idle and half idle in a transaction, so the
 * payments service's pool gets "sorry, too many clients already" when it
 * needs a connection. To make the service need one, its path is cut for a
 * moment first (its open connections close), then every free slot is
 * taken, then the path comes back. The sessions belong to the auth and
 * admin service roles (not superusers), so the superuser's reserved slots
 * stay free for the recovery. Revert closes every session it opened.
 */
export function connectionHog(): Fault {
  const hogs: pg.Client[] = [];
  let admin: pg.Client | undefined;
  return {
    name: 'connection-hog',
    description: 'other sessions take every free connection (idle and idle in transaction); new connections get "too many clients"',
    async inject(ctx) {
      // One superuser session for the whole fault: opened before and closed after, so that it never frees a slot mid-fault.
      admin = new pg.Client({ connectionString: ctx.target.adminUrl('postgres'), application_name: HOG_APPLICATION });
      admin.on('error', () => {});
      await admin.connect();
      const count = async (sql: string) => Number((await admin!.query(sql)).rows[0].n);
      await ctx.link.setEnabled(false);
      try {
        // Behind PgBouncer the service's server connections belong to the pooler and stay open: nothing to wait for.
        const deadline = Date.now() + 5000;
        while (!ctx.pooler && (await count(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ${pg.escapeLiteral(ctx.system.serviceRole)}`)) > 0 && Date.now() < deadline) await sleep(20);
        const urls = [ctx.target.serviceUrl('admin'), ctx.target.serviceUrl('auth')];
        // Slots a non-superuser may still take; opened in parallel batches that never overshoot into the
        // superuser-reserved slots, then one by one until the server refuses.
        let free = await count(
          "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'",
        );
        while (free > 0) {
          const batch = Math.min(10, free);
          const opened = await Promise.all(Array.from({ length: batch }, (_, i) => openHog(urls[(hogs.length + i) % 2]!, (hogs.length + i) % 2 === 1)));
          for (const client of opened) if (client) hogs.push(client);
          free = opened.every(Boolean) ? free - batch : 0;
        }
        for (let i = 0; i < 10; i++) {
          const client = await openHog(urls[hogs.length % 2]!, hogs.length % 2 === 1);
          if (!client) break;
          hogs.push(client);
        }
      } finally {
        await ctx.link.setEnabled(true);
      }
      const inTransaction = Math.floor(hogs.length / 2);
      return { detail: `${hogs.length} sessions hold every free connection (${hogs.length - inTransaction} idle, ${inTransaction} idle in transaction)` };
    },
    async revert(ctx) {
      await Promise.all(hogs.splice(0).map((c) => c.end().catch(() => {})));
      await admin?.end().catch(() => {});
      admin = undefined;
      if (!(await ctx.link.isEnabled())) await ctx.link.setEnabled(true);
    },
  };
}
