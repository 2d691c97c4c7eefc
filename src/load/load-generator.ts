import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { BugError } from '../core/errors.ts';
import type { DrillClock } from '../measure/clock.ts';
import { RequestTimeline, type LedgerEntry } from '../measure/timeline.ts';

/** The load a drill puts on the sample service. */
export interface LoadProfile {
  /** Requests per second across all lanes (fixed rate). */
  rate: number;
  /** Fraction of requests that are writes (POST /payments), 0..1. */
  writeRatio: number;
  /** Parallel connections; each sends its share of the rate. Default min(rate, 50). */
  lanes?: number;
  /** A request with no answer after this long is a failure (timeout). */
  timeoutMs: number;
  /** Hard upper bound on how long the load runs, whatever happens. */
  maxDurationMs: number;
}

/** What the load needs to know about the data it reads and writes. */
export interface LoadData {
  /** Existing payment ids to read. */
  paymentIds: readonly string[];
  /** User ids to attach new payments to. */
  userIds: readonly string[];
}

/** What the load saw, once it has stopped. */
export interface LoadOutcome {
  /** Every request sent before the stop, in the order they ended. */
  timeline: RequestTimeline;
  ledger: LedgerEntry[];
  /** Ids of every write sent, acknowledged or not. */
  attemptedWriteIds: string[];
  stoppedAt: number;
}

/** A running load. `stop` is idempotent and resolves once every lane has ended. */
export interface LoadRun {
  /** Records finished so far (live view, for progress and steady-state checks). */
  readonly timeline: RequestTimeline;
  stop(): Promise<LoadOutcome>;
}

interface Pending {
  kind: 'write' | 'read';
  id?: string;
  sentAt: number;
}

/** The parts of autocannon's (8.x) Client that `keepOneConnection` relies on. */
interface AutocannonClientInternals {
  conn?: EventEmitter & { destroy(): void };
  pipelinedRequests: { clear(): void };
  _connect: () => void;
}

/**
 * autocannon reconnects on both 'error' and 'end' of its socket without
 * closing the old one, so a server that dies (both events) leaves a lane
 * with two live sockets feeding one HTTP parser and stale requests queued.
 * This makes every reconnect first close the previous socket and forget its
 * queue, so a lane always has exactly one connection and one request in
 * flight. It is called from `setupClient`, before the first connect.
 */
function keepOneConnection(client: AutocannonClientInternals): void {
  const connect = client._connect.bind(client);
  client._connect = () => {
    const old = client.conn;
    if (old) {
      old.removeAllListeners('data');
      old.removeAllListeners('end');
      old.removeAllListeners('error');
      old.on('error', () => {});
      old.destroy();
    }
    client.pipelinedRequests.clear();
    connect();
  };
}

/** Splits `rate` requests per second over `lanes` lanes as evenly as whole numbers allow. */
export function laneRates(rate: number, lanes: number): number[] {
  const base = Math.floor(rate / lanes);
  const extra = rate % lanes;
  return Array.from({ length: lanes }, (_, i) => base + (i < extra ? 1 : 0)).filter((r) => r > 0);
}

/** The repeating order of request kinds for a write ratio (10 slots). */
export function requestCycle(writeRatio: number): Array<'write' | 'read'> {
  const writes = Math.round(Math.min(1, Math.max(0, writeRatio)) * 10);
  return Array.from({ length: 10 }, (_, i) => (Math.ceil(((i + 1) * writes) / 10) > Math.ceil((i * writes) / 10) ? 'write' : 'read'));
}

function pick<T>(items: readonly T[], i: number): T | undefined {
  return items.length === 0 ? undefined : items[i % items.length];
}

/**
 * Runs autocannon against the sample service at a fixed request rate.
 *
 * autocannon's rate limit lets each connection send its per-second quota in
 * a burst at the start of its own second. To spread requests evenly in
 * time, the load runs as `lanes` single-connection autocannon instances,
 * each with its share of the rate, started `1000 / lanes` ms apart. Each
 * lane has one request in flight at most, so every request is tracked
 * exactly: its send time, its end time and its outcome go to the timeline,
 * and every acknowledged write (201) to the ledger.
 */
export function startLoad(serviceUrl: string, profile: LoadProfile, data: LoadData, clock: DrillClock): LoadRun {
  const url = new URL(serviceUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new BugError(`load may only target loopback, not ${url.hostname}`);
  }
  const lanesWanted = Math.max(1, Math.min(profile.lanes ?? Math.min(profile.rate, 50), profile.rate));
  const rates = laneRates(profile.rate, lanesWanted);
  const cycle = requestCycle(profile.writeRatio);
  const timeline = new RequestTimeline(profile.rate * 64);
  const ledger: LedgerEntry[] = [];
  const attempted: string[] = [];
  const instances: autocannon.Instance[] = [];
  const starters: NodeJS.Timeout[] = [];
  const doneSignals: Promise<void>[] = [];
  const clients: autocannon.Client[] = [];
  let stopped = false;
  let seq = 0;

  const runLane = (laneIndex: number, laneRate: number) => {
    // Each lane starts at another point of the cycle, so that the mix holds in every second, not only over ten requests.
    const laneCycle = cycle.map((_, k) => cycle[(k + laneIndex) % cycle.length]!);
    let done!: () => void;
    doneSignals.push(new Promise<void>((resolve) => { done = resolve; }));
    let pending: Pending | undefined;
    const finish = (ok: boolean, status: number | null, error?: string) => {
      const p = pending;
      if (!p) return;
      pending = undefined;
      timeline.add(p.kind, p.sentAt, clock.now(), ok, status, error, p.id);
    };
    const begin = (kind: 'write' | 'read', id?: string) => {
      if (pending) finish(false, null, 'no response (connection closed)');
      pending = { kind, sentAt: clock.now(), ...(id ? { id } : {}) };
    };
    const requests: autocannon.Request[] = laneCycle.map((kind) => {
      if (kind === 'write') {
        return {
          method: 'POST',
          path: '/payments',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req: autocannon.Request) => {
            const id = randomUUID();
            const userId = pick(data.userIds, seq++) ?? randomUUID();
            attempted.push(id);
            begin('write', id);
            return { ...req, body: JSON.stringify({ id, userId, amount: ((seq % 9000) / 100 + 1).toFixed(2), currency: 'EUR' }) };
          },
          onResponse: (status: number) => {
            const id = pending?.id;
            if (status === 201 && id) {
              ledger.push({ id, ackedAt: clock.now() });
            }
            finish(status === 201, status);
          },
        };
      }
      return {
        method: 'GET',
        path: '/payments/00000000-0000-0000-0000-000000000000',
        setupRequest: (req: autocannon.Request) => {
          // Read back a payment the load wrote earlier (any lane), or a seeded one: a read fails when
          // acknowledged data has gone missing, not only when the service is down.
          const acked = ledger.length > 0 && (data.paymentIds.length === 0 || seq % 2 === 0) ? ledger[Math.floor(Math.random() * ledger.length)]!.id : undefined;
          seq++;
          const id = acked ?? pick(data.paymentIds, seq) ?? randomUUID();
          begin('read', id);
          return { ...req, path: `/payments/${id}` };
        },
        onResponse: (status: number) => finish(status === 200, status),
      };
    });

    const instance = autocannon({
      url: url.origin,
      connections: 1,
      pipelining: 1,
      connectionRate: laneRate,
      duration: Math.ceil(profile.maxDurationMs / 1000),
      timeout: Math.max(1, Math.ceil(profile.timeoutMs / 1000)),
      requests,
      setupClient: (client: autocannon.Client) => {
        clients.push(client);
        keepOneConnection(client as unknown as AutocannonClientInternals);
        const events = client as unknown as EventEmitter;
        events.on('timeout', () => finish(false, null, 'timeout'));
        events.on('connError', (error: NodeJS.ErrnoException) => finish(false, null, error.code ?? error.message));
      },
    } as autocannon.Options, () => done());
    instances.push(instance);
  };

  const spacing = 1000 / rates.length;
  rates.forEach((laneRate, i) => {
    if (i === 0) runLane(i, laneRate);
    else starters.push(setTimeout(() => { if (!stopped) runLane(i, laneRate); }, i * spacing));
  });

  let outcome: Promise<LoadOutcome> | undefined;
  const hardStop = setTimeout(() => void stop(), profile.maxDurationMs);
  const stop = (): Promise<LoadOutcome> => {
    outcome ??= (async () => {
      stopped = true;
      clearTimeout(hardStop);
      for (const t of starters) clearTimeout(t);
      const stoppedAt = clock.now();
      for (const instance of instances) instance.stop();
      // autocannon acts on stop at its next one-second tick; destroying the clients ends their requests now.
      for (const client of clients) (client as unknown as { destroy(): void }).destroy();
      await Promise.all(doneSignals);
      // Requests still in flight when the load stopped have no outcome: they are neither failures nor successes.
      // Only what was sent before the stop is part of the observation.
      return { timeline: timeline.filter((i) => timeline.sentAt(i) <= stoppedAt), ledger: [...ledger], attemptedWriteIds: [...attempted], stoppedAt };
    })();
    return outcome;
  };
  return { timeline, stop };
}
