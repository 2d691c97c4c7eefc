import { maxOf } from '../util/numbers.ts';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line sparkline of `values`, each scaled to the largest (a flat low
 * line when all are zero); `null` (no value, e.g. no recovery) is drawn as
 * "×".
 */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const max = maxOf(known, 0);
  return values.map((v) => (v === null ? '×' : max <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join('');
}
