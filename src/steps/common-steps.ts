import type { RunbookStep } from '../core/runbook.ts';

/**
 * Steps several runbooks share, as factories so each runbook can word its
 * expectation. A runbook file still holds its whole procedure; these only
 * avoid writing the same probe twice.
 */

/** `pg_isready` against the server itself: is PostgreSQL accepting connections? */
export function checkServerStep(why: string): RunbookStep {
  return {
    id: 'check-server',
    title: 'Check that PostgreSQL accepts connections',
    why,
    expect: 'pg_isready prints "accepting connections" for the server address.',
    command: { kind: 'shell', text: 'pg_isready -h "$PGHOST" -p "$PGPORT" -t 5' },
    timeoutMs: 15_000,
  };
}

/** The service's own health check, polled until it answers 200 within `fastMs`. */
export function verifyServiceStep(expect: string, fastMs = 1000): RunbookStep {
  return {
    id: 'verify-service',
    title: 'Verify that the service answers again',
    why: "Recovery is what the service's users see, not what the database says: its health check runs a real query through its own pool.",
    expect,
    command: { kind: 'action', text: `GET $SERVICE_URL/health until it answers 200 within ${fastMs} ms` },
    manual: 'Call the service health endpoint until it answers 200 quickly; if it keeps failing, restart the service instances so their pools reconnect.',
    timeoutMs: 60_000,
    verifyIntervalMs: 100,
    async verify(ctx) {
      if (!ctx.serviceUrl) return { ok: false, detail: 'no service URL in this session' };
      const healthPath = ctx.system?.readyPath ?? '/health';
      const started = performance.now();
      try {
        const response = await fetch(`${ctx.serviceUrl}${healthPath}`, { signal: AbortSignal.timeout(5000) });
        const ms = Math.round(performance.now() - started);
        return { ok: response.ok && ms <= fastMs, detail: `GET ${healthPath} → ${response.status} in ${ms} ms` };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
