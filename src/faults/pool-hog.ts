import pg from 'pg';
import { SERVICE_DATABASES } from '../core/target.ts';
import { sleep } from '../util/sleep.ts';
import type { Fault } from './fault.ts';
import { poolerInPath } from './kill-pooler.ts';

/** application_name of the clients that hold the pool (PgBouncer passes it on to the server connection they hold). */
export const POOL_HOG_APPLICATION = 'pgdrill-pool-hog';

/**
 * Pool saturation: clients of the payments database open transactions
 * through PgBouncer and never finish them (a code path that forgets to
 * commit), one per server connection of the pool. In transaction mode a
 * server connection belongs to its client until the transaction ends, so
 * every other client waits in the pool (`cl_waiting` grows, `maxwait`
 * climbs) while PostgreSQL itself has room. The transactions turn off the
 * server's idle-in-transaction timeout for themselves (SET LOCAL), as a
 * leaking client on a server without that timeout would. `revert` closes
 * every client it opened.
 */
export function poolHog(): Fault {
  const hogs: pg.Client[] = [];
  return {
    name: 'pool-hog',
    description: "clients hold every server connection of the payments pool in open transactions; other clients wait in PgBouncer",
    async inject(ctx) {
      const pooler = poolerInPath(ctx);
      const { database } = SERVICE_DATABASES.payments;
      const size = Number((await pooler.admin('SHOW DATABASES')).find((r) => r.name === database)?.pool_size ?? 0);
      if (!size) throw new Error(`PgBouncer has no pool for ${database}`);
      const url = ctx.target.serviceUrl('payments', pooler.endpoint);
      // In parallel: each waits for a server connection of its own; a hog that cannot get one in time is left out.
      const opened = await Promise.all(
        Array.from({ length: size }, async () => {
          const client = new pg.Client({ connectionString: url, application_name: POOL_HOG_APPLICATION, connectionTimeoutMillis: 10_000, query_timeout: 15_000 });
          client.on('error', () => {});
          hogs.push(client);
          await client.connect();
          await client.query('BEGIN');
          await client.query('SET LOCAL idle_in_transaction_session_timeout = 0');
          await client.query('SELECT 1');
          return client;
        }).map((p) => p.catch(() => undefined)),
      );
      const holding = opened.filter(Boolean).length;
      // The service's clients queue behind them: wait until PgBouncer shows someone waiting (the evidence).
      let waiting = 0;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        waiting = (await pooler.pools()).filter((p) => p.database === database).reduce((n, p) => n + p.clWaiting, 0);
        if (waiting > 0) break;
        await sleep(50);
      }
      return { detail: `${holding} of ${size} server connections of the ${database} pool held by clients idle in a transaction; ${waiting} client(s) waiting in PgBouncer` };
    },
    async revert() {
      await Promise.all(hogs.splice(0).map((c) => c.end().catch(() => {})));
    },
  };
}
