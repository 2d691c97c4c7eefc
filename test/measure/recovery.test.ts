import { describe, expect, it } from 'vitest';
import { measureRecovery as measureTimeline } from '../../src/measure/recovery.ts';
import { RequestTimeline, type RequestRecord } from '../../src/measure/timeline.ts';

/** measureRecovery over records, stored as the load stores them. */
const measureRecovery = (records: RequestRecord[], t0: number, observedUntil: number) => measureTimeline(RequestTimeline.from(records), t0, observedUntil);

/** A synthetic timeline: one request every `stepMs`, alternating write/read, failing inside [failFrom, failTo). */
function timeline(untilMs: number, stepMs: number, failFrom: number, failTo: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = 0, i = 0; t < untilMs; t += stepMs, i++) {
    const fails = t >= failFrom && t < failTo;
    out.push({ kind: i % 2 === 0 ? 'write' : 'read', sentAt: t, endAt: t + 3, ok: !fails, status: fails ? 503 : 200 });
  }
  return out;
}

describe('measureRecovery', () => {
  it('measures an outage from t0 to the first healthy window', () => {
    const m = measureRecovery(timeline(20_000, 10, 5_000, 8_000), 5_000, 20_000);
    expect(m.rtoMs).toBe(3_003);
    expect(m.ttdMs).toBe(3);
    expect(m.failuresAfterFault).toBe(300);
  });

  it('reports null RTO when the service never recovers while observed', () => {
    const m = measureRecovery(timeline(10_000, 10, 5_000, 10_000), 5_000, 10_000);
    expect(m.rtoMs).toBeNull();
    expect(m.ttdMs).toBe(3);
  });

  it('reads recovery from when answers came, not from when requests were sent', () => {
    // Requests sent during the outage that succeed late (a retry) do not move recovery earlier.
    const t = timeline(20_000, 10, 5_000, 8_000);
    for (const r of t.filter((x) => x.sentAt >= 7_000 && x.sentAt < 8_000)) {
      r.ok = true;
      r.endAt = 8_000 + (r.sentAt - 7_000) / 100;
    }
    expect(measureRecovery(t, 5_000, 20_000).rtoMs).toBe(3_000);
  });

  it('does not count a window that was not fully observed', () => {
    // Recovery at 8 s, but observation ends at 9.5 s: the 2 s window cannot complete.
    const m = measureRecovery(timeline(9_500, 10, 5_000, 8_000), 5_000, 9_500);
    expect(m.rtoMs).toBeNull();
  });

  it('tolerates stray failures below 1% in the recovery window', () => {
    const t = timeline(20_000, 10, 5_000, 8_000);
    t.find((r) => r.sentAt === 9_000)!.ok = false; // one failure among 200 requests
    expect(measureRecovery(t, 5_000, 20_000).rtoMs).toBe(3_003);
  });

  it('does not call a window healthy when more than 1% fail in it', () => {
    const t = timeline(20_000, 10, 5_000, 8_000);
    for (const at of [8_500, 8_600, 8_700]) t.find((r) => r.sentAt === at)!.ok = false;
    // From 8.0 s every 2 s window holds 3 failures of 200 (98.5%) until it starts after 8.5 s.
    expect(measureRecovery(t, 5_000, 20_000).rtoMs).toBe(3_513);
  });

  it('requires a write in the recovery window', () => {
    const t = timeline(20_000, 10, 5_000, 8_000).map((r) => ({ ...r, kind: 'read' as const }));
    expect(measureRecovery(t, 5_000, 20_000).rtoMs).toBeNull();
  });

  it('reports no detection and zero RTO when nothing failed after t0', () => {
    const m = measureRecovery(timeline(10_000, 10, 0, 0), 5_000, 10_000);
    expect(m).toMatchObject({ rtoMs: 0, ttdMs: null, failuresAfterFault: 0 });
  });
});
