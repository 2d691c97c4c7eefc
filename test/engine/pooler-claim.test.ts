import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/core/result.ts';
import { RTO_RESOLUTION_MS, poolerClaimHolds } from '../../src/engine/pooler-comparison.ts';

/** The fields the claim reads, on a result otherwise irrelevant here. */
const run = (rtoMs: number | null, failedRequests: number, lostWrites = 0) => ({ rtoMs, failedRequests, lostWrites }) as DrillResult;

describe("the seed's pooler claim: fewer failures, a recovery no slower, no more writes lost", () => {
  it('holds when the pooled run fails less and recovers as fast, within what the RTO measurement can resolve', () => {
    expect(poolerClaimHolds(run(4000, 300), run(3000, 40))).toBe(true);
    expect(poolerClaimHolds(run(4000, 300), run(4000 + RTO_RESOLUTION_MS, 40))).toBe(true);
  });

  it('does not hold when the pooled run recovers measurably slower, fails as much, loses more, or never recovers', () => {
    expect(poolerClaimHolds(run(4000, 300), run(4000 + RTO_RESOLUTION_MS + 1, 40))).toBe(false);
    expect(poolerClaimHolds(run(4000, 300), run(3000, 300))).toBe(false);
    expect(poolerClaimHolds(run(4000, 300, 0), run(3000, 40, 1))).toBe(false);
    expect(poolerClaimHolds(run(4000, 300), run(null, 40))).toBe(false);
  });
});
