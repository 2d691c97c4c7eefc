import { describe, expect, it } from 'vitest';
import { defaultMaxInFlight, requestCycle } from '../../src/load/load-generator.ts';

describe('load shape', () => {
  it('caps requests in flight by default at what the rate puts in flight within the timeout, within bounds', () => {
    expect(defaultMaxInFlight(5, 10_000)).toBe(100);
    expect(defaultMaxInFlight(100, 10_000)).toBe(1000);
    expect(defaultMaxInFlight(1000, 10_000)).toBe(4000);
  });

  it('mixes writes and reads by ratio', () => {
    expect(requestCycle(0.5).filter((k) => k === 'write')).toHaveLength(5);
    expect(requestCycle(0.2).filter((k) => k === 'write')).toHaveLength(2);
    expect(requestCycle(0.3)[0]).toBe('write');
    expect(requestCycle(1).every((k) => k === 'write')).toBe(true);
    expect(requestCycle(0).every((k) => k === 'read')).toBe(true);
  });
});
