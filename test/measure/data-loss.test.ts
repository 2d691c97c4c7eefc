import { describe, expect, it } from 'vitest';
import { measureDataLoss } from '../../src/measure/data-loss.ts';

describe('measureDataLoss', () => {
  const ledger = [
    { id: 'a', ackedAt: 1000 },
    { id: 'b', ackedAt: 2000 },
    { id: 'c', ackedAt: 3000 },
  ];

  it('finds no loss when every acknowledged write is present', () => {
    const m = measureDataLoss(ledger, ['a', 'b', 'c', 'x'], new Set(['a', 'b', 'c']), 4000);
    expect(m).toMatchObject({ ackedWrites: 3, lostWrites: 0, rpoMs: 0, unackedPresent: 0 });
  });

  it('measures the loss window from the earliest lost acknowledgement to t0', () => {
    const m = measureDataLoss(ledger, ['a', 'b', 'c'], new Set(['a']), 4000);
    expect(m.lostWrites).toBe(2);
    expect(m.lostIds).toEqual(['b', 'c']);
    expect(m.rpoMs).toBe(2000);
  });

  it('extends the window to a lost acknowledgement after t0', () => {
    const m = measureDataLoss(ledger, ['a', 'b', 'c'], new Set(['a']), 2500);
    expect(m.rpoMs).toBe(1000);
  });

  it('counts unacknowledged writes that are present apart, not as losses', () => {
    const m = measureDataLoss(ledger, ['a', 'b', 'c', 'x', 'y', 'z'], new Set(['a', 'b', 'c', 'x', 'y']), 4000);
    expect(m).toMatchObject({ lostWrites: 0, unackedPresent: 2 });
  });
});
