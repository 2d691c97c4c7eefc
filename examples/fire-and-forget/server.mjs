// A plausible but WRONG orders service: it answers 201 at once and writes later, in
// batches, from an in-memory queue ("fire and forget", for lower latency). Reads look in
// the queue first, so everything seems fine while the database is up. When the database
// is unreachable, a batch that fails is logged and dropped: orders the client was told
// were accepted are gone. pgdrill's ledger catches exactly this.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5, connectionTimeoutMillis: 1000, statement_timeout: 2000, keepAlive: true, application_name: 'fire-and-forget' });
pool.on('error', () => {});

let queue = new Map(); // id → amount, accepted but not written yet
const writing = new Set(); // batches whose INSERT is under way: still readable from memory

async function flush() {
  if (queue.size === 0) return;
  const batch = queue;
  queue = new Map();
  writing.add(batch);
  const ids = [...batch.keys()];
  try {
    await pool.query('INSERT INTO orders (id, amount) SELECT * FROM unnest($1::uuid[], $2::numeric[]) ON CONFLICT DO NOTHING', [ids, [...batch.values()]]);
  } catch (error) {
    console.error(`dropped a batch of ${ids.length} orders: ${error.message}`);
  } finally {
    writing.delete(batch);
  }
}

/** The amount of an order accepted but not yet written, if it is one. */
function inMemory(id) {
  if (queue.has(id)) return queue.get(id);
  for (const batch of writing) if (batch.has(id)) return batch.get(id);
  return undefined;
}
const timer = setInterval(() => void flush(), 200);

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

async function route(req, res) {
  if (req.method === 'GET' && req.url === '/health') {
    await pool.query('SELECT 1');
    return send(res, 200, { ok: true });
  }
  if (req.method === 'POST' && req.url === '/orders') {
    let text = '';
    for await (const chunk of req) text += chunk;
    const order = JSON.parse(text);
    queue.set(order.id, order.amount);
    return send(res, 201, { id: order.id }); // acknowledged before anything is written
  }
  const match = req.method === 'GET' ? /^\/orders\/([0-9a-f-]{36})$/.exec(req.url) : null;
  if (match) {
    const pending = inMemory(match[1]);
    if (pending !== undefined) return send(res, 200, { id: match[1], amount: pending });
    const { rows } = await pool.query('SELECT id, amount FROM orders WHERE id = $1', [match[1]]);
    return rows.length ? send(res, 200, rows[0]) : send(res, 404, { error: 'no such order' });
  }
  return send(res, 404, { error: 'no route' });
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error) => {
    if (!res.headersSent) send(res, 503, { error: error.message });
  });
});

process.on('SIGTERM', () => {
  clearInterval(timer);
  server.closeAllConnections();
  server.close();
  flush().finally(() => pool.end().finally(() => process.exit(0)));
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
