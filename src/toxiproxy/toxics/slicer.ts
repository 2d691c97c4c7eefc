import { DelayLine } from '../delay-line.ts';
import { now } from '../toxic.ts';
import type { ToxicAttributes, ToxicKind } from '../toxic.ts';

/**
 * `slicer` (average_size B, size_variation B, delay µs): splits each chunk
 * into pieces of average_size ± uniform(size_variation) bytes (at least 1),
 * released `delay` µs apart; the next chunk starts `delay` after the last
 * piece. average_size <= 0 passes chunks whole. Updates apply to chunks that
 * arrive afterwards.
 */
export const slicer: ToxicKind = {
  type: 'slicer',
  attributes: ['average_size', 'size_variation', 'delay'],
  create(out, attributes) {
    let average = 0;
    let variation = 0;
    let delayMs = 0;
    const configure = (a: ToxicAttributes): void => {
      average = a.average_size ?? 0;
      variation = Math.max(0, a.size_variation ?? 0);
      delayMs = Math.max(0, a.delay ?? 0) / 1000;
    };
    configure(attributes);
    let nextFree = Number.NEGATIVE_INFINITY;
    let endPending = false;
    const line = new DelayLine(
      (chunk) => out.push(chunk),
      () => {
        if (endPending) out.end();
      },
    );
    return {
      write(chunk) {
        const arrival = now();
        let at = Math.max(arrival, nextFree);
        if (average <= 0) {
          line.schedule(chunk, at, arrival);
          nextFree = at + delayMs;
          return;
        }
        for (let offset = 0; offset < chunk.length; ) {
          const jitter = variation > 0 ? Math.floor(Math.random() * (2 * variation + 1)) - variation : 0;
          const size = Math.min(chunk.length - offset, Math.max(1, average + jitter));
          line.schedule(chunk.subarray(offset, offset + size), at, arrival);
          offset += size;
          at += delayMs;
        }
        nextFree = at;
      },
      end() {
        if (line.size === 0) out.end();
        else endPending = true;
      },
      update: configure,
      flush() {
        line.flush();
        if (endPending) out.end();
      },
      destroy: () => line.clear(),
      held: () => line.held,
    };
  },
};
