import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { awaitSteadyState, describeAnswer } from '../../src/engine/steady-state.ts';
import { RequestTimeline } from '../../src/measure/timeline.ts';

const WINDOW = 150;
const SLOW = 100;

/** A timeline of `count` writes sent evenly across window `w` (from 1) after `start`, each taking `latency(i)` ms. */
function fill(timeline: RequestTimeline, start: number, w: number, count: number, latency: (i: number) => number, status = 201): void {
  for (let i = 0; i < count; i++) {
    const sentAt = start + (w - 1) * WINDOW + (i * (WINDOW - 20)) / count;
    timeline.add('write', sentAt, sentAt + latency(i), status < 300, status);
  }
}

describe('the steady state before a fault (windows of the load the test writes)', () => {
  it('holds in the first window when every request answers in time', async () => {
    const timeline = new RequestTimeline();
    const start = performance.now();
    fill(timeline, start, 1, 100, () => 5);
    const logged: string[] = [];
    const verdict = await awaitSteadyState({ timeline, now: () => performance.now(), startedAt: start, windowMs: WINDOW, slowRequestMs: SLOW, log: (m) => logged.push(m) });
    expect(verdict).toMatchObject({ holds: true, ok: 100, total: 100, window: 1, windows: 3, earlier: [] });
    expect(logged).toEqual([]);
    expect(performance.now() - start).toBeLessThan(2 * WINDOW + 500);
  });

  it('a stall in the first window delays the fault to a window that holds, and says what the stall was', async () => {
    const timeline = new RequestTimeline();
    const start = performance.now();
    fill(timeline, start, 1, 100, (i) => (i < 10 ? 130 : 5));
    fill(timeline, start, 2, 100, () => 5);
    const logged: string[] = [];
    const verdict = await awaitSteadyState({ timeline, now: () => performance.now(), startedAt: start, windowMs: WINDOW, slowRequestMs: SLOW, log: (m) => logged.push(m) });
    expect(verdict).toMatchObject({ holds: true, ok: 100, total: 100, window: 2 });
    expect(verdict.earlier).toHaveLength(1);
    expect(verdict.earlier[0]).toMatch(/^90 of 100 requests succeeded within 100 ms; e\.g\. a write answered 201, but after 130 ms$/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/did not hold in warm-up window 1 of 3: 90 of 100 .*Watching another 0\.1 s/);
  });

  it('a slow request sent in one window does not count against the next one', async () => {
    const timeline = new RequestTimeline();
    const start = performance.now();
    fill(timeline, start, 1, 100, (i) => (i === 99 ? WINDOW : 5));
    fill(timeline, start, 2, 100, () => 5);
    const verdict = await awaitSteadyState({ timeline, now: () => performance.now(), startedAt: start, windowMs: WINDOW, slowRequestMs: SLOW });
    // The late one ends inside window 2 but was sent in window 1, where 99 of 99 answered ended in time.
    expect(verdict).toMatchObject({ holds: true, window: 1, ok: 99, total: 99 });
  });

  it('a service that never settles fails after the last window, with that window\'s numbers and first failure', async () => {
    const timeline = new RequestTimeline();
    const start = performance.now();
    for (const w of [1, 2, 3]) fill(timeline, start, w, 50, () => 5, 503);
    const verdict = await awaitSteadyState({ timeline, now: () => performance.now(), startedAt: start, windowMs: WINDOW, slowRequestMs: SLOW });
    expect(verdict).toMatchObject({ holds: false, ok: 0, total: 50, window: 3, windows: 3 });
    expect(verdict.earlier).toHaveLength(2);
    expect(describeAnswer(verdict.firstFailure!)).toBe('503 after 5 ms');
    expect(performance.now() - start).toBeGreaterThanOrEqual(3 * WINDOW - 1);
  });

  it('no answer at all is not a steady state, and one window is all it watches when told so', async () => {
    const timeline = new RequestTimeline();
    const start = performance.now();
    const verdict = await awaitSteadyState({ timeline, now: () => performance.now(), startedAt: start, windowMs: WINDOW, slowRequestMs: SLOW, windows: 1 });
    expect(verdict).toMatchObject({ holds: false, total: 0, window: 1, windows: 1 });
    expect(verdict.firstFailure).toBeUndefined();
  });

  it('describes a refused request by its error', () => {
    expect(describeAnswer({ kind: 'read', sentAt: 10, endAt: 12.4, ok: false, status: null, error: 'ECONNREFUSED' })).toBe('ECONNREFUSED after 2 ms');
  });
});
