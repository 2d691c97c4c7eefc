import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { z } from 'zod';
import { retryStats, withRetry, type RetryPolicy } from './retry.ts';

const PaymentInput = z.object({
  id: z.guid(),
  userId: z.guid(),
  amount: z.union([z.number(), z.string()]).transform(String).pipe(z.string().regex(/^\d{1,8}(\.\d{1,2})?$/)),
  currency: z.string().length(3),
});

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A database failure as the service reports it: 503 with the server's error fields kept. */
function databaseError(res: ServerResponse, error: unknown): void {
  const e = error as { message?: string; code?: string; detail?: string };
  send(res, 503, { error: e.message ?? String(error), code: e.code, detail: e.detail });
}

const PAYMENT_PATH = /^\/payments\/([0-9a-fA-F-]{36})$/;

/** Routes one request of the sample payments service; database calls are retried per `retry`. */
export async function handleRequest(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, retry: RetryPolicy = { retries: 0, baseDelayMs: 0 }): Promise<void> {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/health') {
    try {
      await withRetry(retry, () => pool.query('SELECT 1'));
      send(res, 200, { ok: true });
    } catch (error) {
      databaseError(res, error);
    }
    return;
  }
  if (req.method === 'GET' && url === '/stats') {
    send(res, 200, { ...retryStats, pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } });
    return;
  }
  if (req.method === 'POST' && url === '/payments') {
    let input: z.infer<typeof PaymentInput>;
    try {
      const parsed = PaymentInput.safeParse(JSON.parse(await readBody(req)));
      if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      input = parsed.data;
    } catch (error) {
      return send(res, 400, { error: `invalid JSON body: ${error instanceof Error ? error.message : String(error)}` });
    }
    try {
      await withRetry(retry, async (attempt) => {
        try {
          await pool.query(
            "INSERT INTO payments (id, user_id, amount, currency, status) VALUES ($1, $2, $3, $4, 'pending')",
            [input.id, input.userId, input.amount, input.currency],
          );
        } catch (error) {
          // A duplicate id on a retry means the earlier attempt committed before its answer was lost: the
          // write is done (writes are idempotent by their client-supplied id).
          if (attempt > 0 && (error as { code?: string }).code === '23505') return;
          throw error;
        }
      });
      send(res, 201, { id: input.id });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return send(res, 409, { error: 'payment already exists', id: input.id });
      databaseError(res, error);
    }
    return;
  }
  const match = req.method === 'GET' ? PAYMENT_PATH.exec(url) : null;
  if (match) {
    try {
      const result = await withRetry(retry, () => pool.query('SELECT id, user_id, amount, currency, status, created_at FROM payments WHERE id = $1', [match[1]]));
      if (result.rows.length === 0) send(res, 404, { error: 'payment not found' });
      else send(res, 200, result.rows[0]);
    } catch (error) {
      databaseError(res, error);
    }
    return;
  }
  send(res, 404, { error: `no route for ${req.method} ${url}` });
}
