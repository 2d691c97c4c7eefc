import pg from 'pg';

/** Pool settings of the sample service, after the seed's pooling advice. */
export interface ServicePoolOptions {
  /** Connections per service instance (seed: 10 in production). */
  max: number;
  /** How long a request waits for a connection before failing. */
  connectionTimeoutMs: number;
  /** Server-side statement_timeout for the service's queries. */
  statementTimeoutMs: number;
}

/**
 * A pg Pool as the seed advises: bounded size, a connection timeout, a
 * statement timeout, TCP keepalive, and an error listener so that a
 * connection dropped while idle (the network failing) never crashes the
 * process: the pool discards it and the next request dials anew.
 */
export function createPool(connectionString: string, options: ServicePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    idleTimeoutMillis: 10_000,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1000,
    keepAlive: true,
    application_name: 'pgdrill-payments-service',
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool has already removed it.
  });
  return pool;
}
