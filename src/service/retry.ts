/** How the service retries a failed database call (the seed's exponential backoff). */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  retries: number;
  /** Delay before the first retry; each next one doubles (100, 200, 400 ms ...). */
  baseDelayMs: number;
}

const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown (backend terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / recovering)
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57014', // query_canceled (statement_timeout)
]);

/**
 * True for failures worth retrying: lost or refused connections, a server
 * starting or shutting down, too many clients, timeouts, serialization
 * failures. Constraint violations and bad input are never retried.
 */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code && (TRANSIENT_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  if (e?.code && /^E[A-Z]+$/.test(e.code)) return true; // ECONNRESET, ECONNREFUSED, ETIMEDOUT, EPIPE...
  return /timeout|terminated|Connection terminated|connection error/i.test(e?.message ?? '');
}

/** Counters of the retry policy at work, served by the service's `GET /stats`. */
export const retryStats = { retries: 0, recoveredByRetry: 0, gaveUp: 0 };

/**
 * Runs `attempt` and retries transient failures with exponential backoff.
 * `attempt` receives the attempt number (0 first), so a write can tell a
 * retry from a first try (a duplicate key on a retry means the first try
 * committed).
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      const result = await attempt(n);
      if (n > 0) retryStats.recoveredByRetry++;
      return result;
    } catch (error) {
      if (n >= policy.retries || !isTransient(error)) {
        if (n > 0) retryStats.gaveUp++;
        throw error;
      }
      retryStats.retries++;
      await new Promise((r) => setTimeout(r, policy.baseDelayMs * 2 ** n));
    }
  }
}
