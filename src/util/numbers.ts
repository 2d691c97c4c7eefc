/**
 * The largest of `values`, or `floor` when that is larger (or there are no
 * values). A loop, not `Math.max(...values)`: spreading a long array into
 * arguments overflows the call stack (about 100 k elements).
 */
export function maxOf(values: Iterable<number>, floor = -Infinity): number {
  let max = floor;
  for (const v of values) if (v > max) max = v;
  return max;
}

