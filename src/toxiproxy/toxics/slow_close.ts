import type { ToxicKind } from '../toxic.ts';

/**
 * `slow_close` (delay ms): data passes untouched; EOF is held for `delay` ms.
 * Flushing (removal) releases a held EOF at once.
 */
export const slowClose: ToxicKind = {
  type: 'slow_close',
  attributes: ['delay'],
  create(out, attributes) {
    let delay = attributes.delay ?? 0;
    let timer: NodeJS.Timeout | null = null;
    return {
      write: (chunk) => out.push(chunk),
      end() {
        if (delay > 0) {
          timer = setTimeout(() => {
            timer = null;
            out.end();
          }, delay);
        } else out.end();
      },
      update(a) {
        delay = a.delay ?? 0;
      },
      flush() {
        if (timer !== null) {
          clearTimeout(timer);
          timer = null;
          out.end();
        }
      },
      destroy() {
        if (timer !== null) clearTimeout(timer);
        timer = null;
      },
    };
  },
};
