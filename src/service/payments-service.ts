/**
 * The sample service: a small HTTP API standing in for the seed's
 * payments-service, run as its own process so that a drill can crash it.
 *
 * - `POST /payments` with a client-supplied `id`: answers 201 only after the
 *   INSERT has committed (autocommit), 409 on a duplicate id.
 * - `GET /payments/:id`: the payment, or 404.
 * - `GET /health`: a real `SELECT 1`; 503 when the database cannot answer.
 * - `GET /stats`: retry counters and pool occupancy.
 *
 * It reaches PostgreSQL only through `PGDRILL_DATABASE_URL` (the fault proxy,
 * over TCP) with a pg Pool sized as the seed advises, and retries transient
 * database failures with exponential backoff (the seed's pattern: 3 retries,
 * scaled from 1-2-4 s down to 100-200-400 ms to fit an HTTP request). It exits when its
 * parent disconnects, so a killed harness never leaves it behind.
 */
import http from 'node:http';
import { createPool, type ServicePoolOptions } from './service-pool.ts';
import { handleRequest } from './routes.ts';

const databaseUrl = process.env.PGDRILL_DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('payments-service: PGDRILL_DATABASE_URL is not set\n');
  process.exit(1);
}
const poolOptions: ServicePoolOptions = {
  max: Number(process.env.PGDRILL_POOL_MAX ?? 10),
  connectionTimeoutMs: Number(process.env.PGDRILL_CONNECT_TIMEOUT_MS ?? 2000),
  statementTimeoutMs: Number(process.env.PGDRILL_STATEMENT_TIMEOUT_MS ?? 2000),
};
const pool = createPool(databaseUrl, poolOptions);
const retry = { retries: Number(process.env.PGDRILL_RETRIES ?? 3), baseDelayMs: Number(process.env.PGDRILL_RETRY_BASE_MS ?? 100) };

const server = http.createServer((req, res) => {
  handleRequest(pool, req, res, retry).catch((error: unknown) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  });
});
server.keepAliveTimeout = 30_000;

let closing = false;
async function shutdown(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  server.closeAllConnections();
  server.close();
  await pool.end().catch(() => {});
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('disconnect', () => void shutdown(0));

server.listen(Number(process.env.PGDRILL_SERVICE_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ type: 'listening', port });
  else process.stdout.write(`payments-service listening on http://127.0.0.1:${port}\n`);
});
