import { describe, expect, it } from 'vitest';
import { laneRates, requestCycle } from '../../src/load/load-generator.ts';

describe('load shape', () => {
  it('splits the rate over lanes exactly', () => {
    expect(laneRates(100, 50)).toEqual(Array(50).fill(2));
    const uneven = laneRates(97, 10);
    expect(uneven.reduce((a, b) => a + b, 0)).toBe(97);
    expect(Math.max(...uneven) - Math.min(...uneven)).toBeLessThanOrEqual(1);
  });

  it('mixes writes and reads by ratio', () => {
    expect(requestCycle(0.5).filter((k) => k === 'write')).toHaveLength(5);
    expect(requestCycle(0.2).filter((k) => k === 'write')).toHaveLength(2);
    expect(requestCycle(0.3)[0]).toBe('write');
    expect(requestCycle(1).every((k) => k === 'write')).toBe(true);
    expect(requestCycle(0).every((k) => k === 'read')).toBe(true);
  });
});
