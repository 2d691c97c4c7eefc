import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { BugError } from '../core/errors.ts';
import type { DrillClock } from '../measure/clock.ts';
import { RequestTimeline, type LedgerEntry } from '../measure/timeline.ts';

/** The load a drill puts on the sample service. */
export interface LoadProfile {
  /** Requests per second (arrival rate, kept whatever the service does). */
  rate: number;
  /** Fraction of requests that are writes (POST /payments), 0..1. */
  writeRatio: number;
  /** Most requests in flight at once; a send due while this many are in flight is skipped (and reported). Default `defaultMaxInFlight`. */
  maxInFlight?: number;
  /** A request with no answer after this long is a failure (timeout). */
  timeoutMs: number;
  /** Hard upper bound on how long the load runs, whatever happens. */
  maxDurationMs: number;
}

/** One HTTP request of the load: method, path, and a JSON body already serialised. */
export interface LoadRequest {
  method: string;
  path: string;
  body?: string;
}

/**
 * The API the load speaks: how a write of a new id and a read of an id are
 * sent, and which answer to a write acknowledges it. A read succeeds on 200
 * only (404: the row is missing).
 */
export interface LoadApi {
  write(id: string, k: number): LoadRequest;
  read(id: string): LoadRequest;
  acknowledged(status: number): boolean;
}

/** What the load needs to know about the data it reads and writes. */
export interface LoadData {
  /** Existing ids to read (the sample's seeded payments). */
  paymentIds: readonly string[];
  /** User ids to attach new payments to (sample API only). */
  userIds: readonly string[];
  /**
   * The system's API; default the sample payments API (POST /payments, 201;
   * GET /payments/:id). With an API given, a read due while there is no id
   * to read yet (no seeded ids, nothing acknowledged) is sent as a write.
   */
  api?: LoadApi;
}

/** The sample payments service's API. */
export function paymentsApi(userIds: readonly string[]): LoadApi {
  return {
    write: (id, k) => ({ method: 'POST', path: '/payments', body: JSON.stringify({ id, userId: pick(userIds, k) ?? randomUUID(), amount: ((k % 9000) / 100 + 1).toFixed(2), currency: 'EUR' }) }),
    read: (id) => ({ method: 'GET', path: `/payments/${id}` }),
    acknowledged: (status) => status === 201,
  };
}

/** How the load kept its rate. */
export interface LoadStats {
  /** The arrival rate asked for, requests/s. */
  targetRate: number;
  /** Requests actually sent per second, from the start of the load to its stop. */
  sentRate: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** The cap on requests in flight. */
  inFlightCap: number;
  /** Whether a send fell due while the cap was reached (it was skipped: `sentRate` shows the shortfall). */
  inFlightCapHit: boolean;
  /** Sends skipped at the cap. */
  skipped: number;
}

/** What the load saw, once it has stopped. */
export interface LoadOutcome {
  /** Every request answered (or failed) before the stop, in the order they ended. */
  timeline: RequestTimeline;
  ledger: LedgerEntry[];
  /** Ids of every write sent, acknowledged or not. */
  attemptedWriteIds: string[];
  stoppedAt: number;
  stats: LoadStats;
}

/** A running load. `stop` is idempotent and resolves once every request in flight has been abandoned. */
export interface LoadRun {
  /** Records finished so far (live view, for progress and steady-state checks). */
  readonly timeline: RequestTimeline;
  stop(): Promise<LoadOutcome>;
}

/** The repeating order of request kinds for a write ratio (10 slots). */
export function requestCycle(writeRatio: number): Array<'write' | 'read'> {
  const writes = Math.round(Math.min(1, Math.max(0, writeRatio)) * 10);
  return Array.from({ length: 10 }, (_, i) => (Math.ceil(((i + 1) * writes) / 10) > Math.ceil((i * writes) / 10) ? 'write' : 'read'));
}

/**
 * The default cap on requests in flight: as many as the rate can put in
 * flight before the first of them times out (so a service that answers
 * nothing within the timeout is still sampled at the full rate), at least
 * 100 and at most 4000 (each is an open socket).
 */
export function defaultMaxInFlight(rate: number, timeoutMs: number): number {
  return Math.min(4000, Math.max(100, Math.ceil((rate * timeoutMs) / 1000)));
}

function pick<T>(items: readonly T[], i: number): T | undefined {
  return items.length === 0 ? undefined : items[i % items.length];
}

/**
 * Puts an open-model load on the sample service: request k is sent at
 * `start + k / rate` on the drill clock, whatever the service does (like k6's
 * constant-arrival-rate or wrk2), so a slow service is sampled at the full
 * rate, not at the fraction a closed loop would still send (coordinated
 * omission). Requests go over keep-alive connections of one `http.Agent`, as
 * many as are in flight. At most `maxInFlight` are in flight: a send due
 * beyond that is skipped and counted (`inFlightCapHit`). The load is bounded
 * in time (`maxDurationMs`) and so in count, and targets loopback only.
 *
 * Every request's send time, end time and outcome go to the timeline, every
 * acknowledged write (the API's acknowledgement: 201 for the sample) to the ledger, every write's id to the attempted
 * ids; reads read back payments the load wrote earlier (or seeded ones).
 */
export function startLoad(serviceUrl: string, profile: LoadProfile, data: LoadData, clock: DrillClock): LoadRun {
  const url = new URL(serviceUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new BugError(`load may only target loopback, not ${url.hostname}`);
  }
  const cap = Math.max(1, profile.maxInFlight ?? defaultMaxInFlight(profile.rate, profile.timeoutMs));
  const agent = new http.Agent({ keepAlive: true, maxSockets: cap, maxFreeSockets: cap, scheduling: 'lifo' });
  const cycle = requestCycle(profile.writeRatio);
  const timeline = new RequestTimeline(profile.rate * 64);
  const ledger: LedgerEntry[] = [];
  const attempted: string[] = [];
  const inFlight = new Set<http.ClientRequest>();
  const intervalMs = 1000 / profile.rate;
  const startedAt = clock.now();
  let next = 0;
  let sent = 0;
  let skipped = 0;
  let peak = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const api = data.api ?? paymentsApi(data.userIds);
  const send = (k: number) => {
    let kind = cycle[k % cycle.length]!;
    if (kind === 'read' && data.api && ledger.length === 0 && data.paymentIds.length === 0) kind = 'write';
    let id: string;
    let request: LoadRequest;
    if (kind === 'write') {
      id = randomUUID();
      request = api.write(id, k);
      attempted.push(id);
    } else {
      // Read back a payment the load wrote earlier, or a seeded one: a read fails when acknowledged data
      // has gone missing, not only when the service is down.
      const acked = ledger.length > 0 && (data.paymentIds.length === 0 || k % 2 === 0) ? ledger[Math.floor(Math.random() * ledger.length)]!.id : undefined;
      id = acked ?? pick(data.paymentIds, k) ?? randomUUID();
      request = api.read(id);
    }
    const body = request.body;
    const sentAt = clock.now();
    let done = false;
    const finish = (ok: boolean, status: number | null, error?: string) => {
      if (done) return;
      done = true;
      inFlight.delete(req);
      // Requests still in flight when the load stopped have no outcome: neither failures nor successes.
      if (stopped) return;
      const endAt = clock.now();
      if (ok && kind === 'write') ledger.push({ id, ackedAt: endAt });
      timeline.add(kind, sentAt, endAt, ok, status, error, id);
    };
    const req = http.request({
      agent,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      method: request.method,
      path: request.path,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    inFlight.add(req);
    sent++;
    if (inFlight.size > peak) peak = inFlight.size;
    req.setTimeout(profile.timeoutMs, () => {
      finish(false, null, 'timeout');
      req.destroy();
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.on('error', () => finish(false, null, 'no response (connection closed)'));
      res.on('end', () => finish(kind === 'write' ? api.acknowledged(status) : status === 200, status));
      res.resume();
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(false, null, error.code === 'ECONNRESET' && error.message === 'socket hang up' ? 'no response (connection closed)' : (error.code ?? error.message)));
    req.end(body);
  };

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const now = clock.now();
    // Every send that fell due since the last tick goes now (timers fire late, never early).
    while (startedAt + next * intervalMs <= now) {
      if (inFlight.size >= cap) skipped++;
      else send(next);
      next++;
    }
    timer = setTimeout(tick, Math.max(0, startedAt + next * intervalMs - clock.now()));
  };

  let outcome: Promise<LoadOutcome> | undefined;
  const hardStop = setTimeout(() => void stop(), profile.maxDurationMs);
  const stop = (): Promise<LoadOutcome> => {
    outcome ??= (async () => {
      const stoppedAt = clock.now();
      stopped = true;
      clearTimeout(hardStop);
      if (timer) clearTimeout(timer);
      for (const req of inFlight) req.destroy();
      inFlight.clear();
      agent.destroy();
      const seconds = Math.max(1e-3, (stoppedAt - startedAt) / 1000);
      const stats: LoadStats = { targetRate: profile.rate, sentRate: sent / seconds, maxInFlight: peak, inFlightCap: cap, inFlightCapHit: skipped > 0, skipped };
      return { timeline, ledger, attemptedWriteIds: attempted, stoppedAt, stats };
    })();
    return outcome;
  };
  tick();
  return { timeline, stop };
}
