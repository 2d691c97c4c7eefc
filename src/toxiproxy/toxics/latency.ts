import { DelayLine } from '../delay-line.ts';
import { now } from '../toxic.ts';
import type { ToxicAttributes, ToxicKind } from '../toxic.ts';

/**
 * `latency` (latency ms, jitter ms): a delay line. Each chunk is released at
 * its arrival + latency ± uniform(jitter), never before the chunk ahead of it.
 * Throughput is not reduced; EOF follows the last chunk. Stacked latency
 * toxics add up. An update re-times the held chunks from their arrival.
 */
export const latency: ToxicKind = {
  type: 'latency',
  attributes: ['latency', 'jitter'],
  create(out, attributes) {
    let base = 0;
    let jitter = 0;
    const configure = (a: ToxicAttributes): void => {
      base = a.latency ?? 0;
      jitter = a.jitter ?? 0;
    };
    const delay = (): number => (jitter > 0 ? base + (Math.random() * 2 - 1) * jitter : base);
    configure(attributes);
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
        line.schedule(chunk, arrival + delay(), arrival);
      },
      end() {
        if (line.size === 0) out.end();
        else endPending = true;
      },
      update(a) {
        configure(a);
        line.reschedule((arrival) => arrival + delay());
      },
      flush() {
        line.flush();
        if (endPending) out.end();
      },
      destroy: () => line.clear(),
      held: () => line.held,
    };
  },
};
