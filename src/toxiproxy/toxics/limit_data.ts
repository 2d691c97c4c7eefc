import type { ToxicKind } from '../toxic.ts';

/**
 * `limit_data` (bytes): passes at most `bytes` bytes in this direction, then
 * ends the connection (the chunk that crosses the limit is truncated). 0
 * ends it on the first chunk. The count survives updates.
 */
export const limitData: ToxicKind = {
  type: 'limit_data',
  attributes: ['bytes'],
  create(out, attributes) {
    let limit = attributes.bytes ?? 0;
    let passed = 0;
    let done = false;
    return {
      write(chunk) {
        if (done) return;
        const remaining = Math.max(0, limit - passed);
        const part = remaining < chunk.length ? chunk.subarray(0, remaining) : chunk;
        if (part.length > 0) {
          passed += part.length;
          out.push(part);
        }
        if (limit - passed <= 0) {
          done = true;
          out.end();
        }
      },
      end() {
        done = true;
        out.end();
      },
      update(a) {
        limit = a.bytes ?? 0;
      },
      flush: () => {},
      destroy: () => {},
    };
  },
};
