// The orders service: a small, correct HTTP service of the kind pgdrill drills.
//
//   POST /orders        { id, amount }  → 201 only after the INSERT has committed
//   GET  /orders/:id                    → 200 with the order, 404 when there is none
//   GET  /health                        → 200 when a real SELECT 1 answers, else 503
//
// It connects with DATABASE_URL (a least-privilege role) through a bounded pool, and
// retries transient database failures with exponential backoff (100, 200, 400 ms). A
// retried INSERT that hits its own primary key means the first attempt committed: done.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: 5,
  connectionTimeoutMillis: 2000,
  idleTimeoutMillis: 10_000,
  statement_timeout: 2000,
  query_timeout: 3000,
  keepAlive: true,
  application_name: 'orders-service',
});
pool.on('error', () => {}); // an idle connection dropped: the pool discards it

const transient = (e) => (e?.code && (/^(08|57P|53300|40001|40P01|57014)/.test(e.code) || /^E[A-Z]+$/.test(e.code))) || /timeout|terminated|connection/i.test(e?.message ?? '');

async function withRetry(attempt) {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= 3 || !transient(error)) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** n));
    }
  }
}

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

const ORDER = /^\/orders\/([0-9a-f-]{36})$/;

async function route(req, res) {
  if (req.method === 'GET' && req.url === '/health') {
    await withRetry(() => pool.query('SELECT 1'));
    return send(res, 200, { ok: true });
  }
  if (req.method === 'POST' && req.url === '/orders') {
    let order;
    try {
      order = await readJson(req);
    } catch {
      return send(res, 400, { error: 'invalid JSON' });
    }
    if (typeof order.id !== 'string' || !(Number(order.amount) > 0)) return send(res, 400, { error: 'id and a positive amount are required' });
    await withRetry(async (n) => {
      try {
        await pool.query('INSERT INTO orders (id, amount) VALUES ($1, $2)', [order.id, order.amount]);
      } catch (error) {
        if (n > 0 && error.code === '23505') return; // the earlier attempt committed before its answer was lost
        throw error;
      }
    });
    return send(res, 201, { id: order.id });
  }
  const match = req.method === 'GET' ? ORDER.exec(req.url) : null;
  if (match) {
    const { rows } = await withRetry(() => pool.query('SELECT id, amount, created_at FROM orders WHERE id = $1', [match[1]]));
    return rows.length ? send(res, 200, rows[0]) : send(res, 404, { error: 'no such order' });
  }
  return send(res, 404, { error: 'no route' });
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error) => {
    if (process.env.LOG_LEVEL !== 'silent') console.error(`${req.method} ${req.url}: ${error.message}`);
    if (!res.headersSent) send(res, error.code === '23505' ? 409 : 503, { error: error.message });
  });
});
server.keepAliveTimeout = 30_000;

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  pool.end().finally(() => process.exit(0));
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log(`orders-service listening on ${process.env.PORT}`));
