import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/core/result.ts';
import { applyLatencyObjective, measureRecovery } from '../../src/measure/recovery.ts';
import { RequestTimeline, type RequestRecord } from '../../src/measure/timeline.ts';
import { MAX_CHART_BINS, binTimeline, writeHtmlReport } from '../../src/report/html-report.ts';
import { tempDir } from '../helpers/test-lab.ts';

describe('RequestTimeline', () => {
  it('keeps every field of every request through growth, and reads them back', () => {
    const records: RequestRecord[] = Array.from({ length: 5000 }, (_, i) => ({
      kind: i % 3 === 0 ? 'write' : 'read',
      sentAt: i * 1.5,
      endAt: i * 1.5 + (i % 7),
      ok: i % 11 !== 0,
      status: i % 11 === 0 ? (i % 2 ? null : 503) : 200,
      ...(i % 11 === 0 && i % 2 ? { error: i % 4 === 1 ? 'timeout' : 'ECONNRESET' } : {}),
      ...(i % 5 === 0 ? {} : { id: `id-${i}` }),
    }));
    const timeline = new RequestTimeline(16);
    for (const r of records) timeline.push(r);
    expect(timeline.length).toBe(5000);
    expect(timeline.toArray()).toEqual(records);
    expect(timeline.at(11)).toEqual(records[11]);
    expect(timeline.count((i) => !timeline.ok(i))).toBe(records.filter((r) => !r.ok).length);
  });

  it('filters into a new timeline and marks answers later than the objective as slow failures', () => {
    const timeline = RequestTimeline.from([
      { kind: 'write', sentAt: 0, endAt: 10, ok: true, status: 201, id: 'a' },
      { kind: 'read', sentAt: 5, endAt: 1600, ok: true, status: 200, id: 'a' },
      { kind: 'read', sentAt: 6, endAt: 20, ok: false, status: null, error: 'timeout' },
    ]);
    const reads = timeline.filter((i) => !timeline.isWrite(i));
    expect(reads.toArray().map((r) => r.endAt)).toEqual([1600, 20]);
    expect(reads.error(1)).toBe('timeout');
    const judged = applyLatencyObjective(timeline, 1000);
    expect(judged.at(1)).toEqual({ kind: 'read', sentAt: 5, endAt: 1600, ok: false, status: 200, error: 'slow (1595 ms)', id: 'a' });
    expect(judged.at(2).error).toBe('timeout');
    // The original is untouched.
    expect(timeline.ok(1)).toBe(true);
  });
});

describe('a 30-minute drill at 1000 requests/s (1.8 M requests)', () => {
  const t0 = 600_000;
  const outageEnd = 660_000;
  const until = 1_800_000;
  // One request per ms, alternating write/read, failing (connection refused) while sent inside the outage.
  const timeline = new RequestTimeline();
  for (let t = 0, i = 0; t < until; t++, i++) {
    const fails = t >= t0 && t < outageEnd;
    timeline.add(i % 2 === 0 ? 'write' : 'read', t, t + 4, !fails, fails ? null : i % 2 === 0 ? 201 : 200, fails ? 'ECONNREFUSED' : undefined, `p-${i % 1000}`);
  }

  it('is stored in columns, not an object per request', () => {
    expect(timeline.length).toBe(1_800_000);
    expect(timeline.byteSize).toBeLessThan(100 * 1_800_000);
  });

  it('measures the known outage window without overflowing the stack', () => {
    const m = measureRecovery(applyLatencyObjective(timeline, 1000), t0, until);
    expect(m.ttdMs).toBe(4);
    expect(m.rtoMs).toBe(outageEnd - t0 + 4);
    expect(m.failuresAfterFault).toBe(60_000);
  });

  it('measures it the same when the timeline is not in answer order', () => {
    const reversed = new RequestTimeline();
    for (let i = timeline.length - 1; i >= 0; i--) reversed.add(timeline.kind(i), timeline.sentAt(i), timeline.endAt(i), timeline.ok(i), timeline.status(i), timeline.error(i));
    expect(measureRecovery(reversed, t0, until).rtoMs).toBe(outageEnd - t0 + 4);
  });

  it('charts it downsampled, and the HTML report stays small', () => {
    const bins = binTimeline(timeline, 0);
    expect(bins.length).toBeLessThanOrEqual(MAX_CHART_BINS);
    expect(bins.length).toBeGreaterThan(100);
    const binMs = (bins[1]!.t - bins[0]!.t) * 1000;
    const at = (ms: number) => bins[Math.floor(ms / binMs)]!;
    expect(at(100_000)).toMatchObject({ okPerSecond: 1000, failedPerSecond: 0, p50Ms: 4, p99Ms: 4 });
    expect(at(630_000)).toMatchObject({ okPerSecond: 0, failedPerSecond: 1000 });

    const file = path.join(tempDir('long-html'), 'r.html');
    const result = { scenario: 'service-crash', title: 'long', variant: null, status: 'passed', reasons: [], rtoMs: 60_004, ttdMs: 4, rpoMs: 0, ackedWrites: 870_000, lostWrites: 0, unackedPresentWrites: 0, requests: timeline.length, failedRequests: 60_000, objectives: { rtoMs: 120_000, rpoMs: 0 }, fault: { name: 'kill-service', description: 'killed', holdMs: 60_000 }, steps: [], startedAt: '', finishedAt: '', t0Ms: t0, cleanupFailures: [], notes: [] } as unknown as DrillResult;
    writeHtmlReport(file, [{ result, load: { timeline, ledger: [], attemptedWriteIds: [], stoppedAt: until, stats: { targetRate: 1000, sentRate: 1000, maxInFlight: 40, inFlightCap: 1000, inFlightCapHit: false, skipped: 0 } }, events: [{ at: 0, kind: 'load-start', label: 'load' }, { at: t0, kind: 'fault-injected', label: 'kill-service' }, { at: outageEnd + 4, kind: 'recovered', label: 'recovered' }] }]);
    expect(statSync(file).size).toBeLessThan(200_000);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('class="marker fault"');
    expect(html).toMatch(/>30m</);
  });
});
