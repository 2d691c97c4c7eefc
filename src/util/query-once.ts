import pg from 'pg';

/** Runs one SQL statement on a connection of its own (opened, used, closed) and returns its rows. */
export async function queryOnce(config: pg.ClientConfig, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client(config);
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end().catch(() => {});
  }
}
