import { now } from '../toxic.ts';
import type { ToxicKind } from '../toxic.ts';

/** Longest piece released at once, in ms worth of bytes at the current rate. */
const PIECE_MS = 100;

/**
 * `bandwidth` (rate KB/s, 1 KB = 1000 B): throttles the direction to `rate`
 * bytes per millisecond. A piece of n bytes leaves n/rate ms after the link
 * became free; chunks longer than 100 ms worth are sent in 100 ms pieces.
 * rate <= 0 means unlimited. An update re-times what is still queued.
 */
export const bandwidth: ToxicKind = {
  type: 'bandwidth',
  attributes: ['rate'],
  create(out, attributes) {
    let rate = attributes.rate ?? 0;
    const queue: Buffer[] = [];
    let bytes = 0;
    let timer: NodeJS.Timeout | null = null;
    /** When the piece in flight (or the last one sent) finishes, in ms. */
    let busyUntil = Number.NEGATIVE_INFINITY;
    let pieceAt = 0;
    let pieceLength = 0;
    let endPending = false;

    const cancel = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    const sendAll = (): void => {
      cancel();
      while (queue.length > 0) {
        const chunk = queue.shift()!;
        bytes -= chunk.length;
        out.push(chunk);
      }
      bytes = 0;
    };
    const finishIfDrained = (): void => {
      if (queue.length === 0 && endPending) {
        endPending = false;
        out.end();
      }
    };
    /** Arm the timer for the head piece; `continuing` when the previous piece just left back to back. */
    const pump = (continuing: boolean): void => {
      if (timer !== null || queue.length === 0) return;
      if (rate <= 0) {
        sendAll();
        finishIfDrained();
        return;
      }
      const head = queue[0]!;
      pieceLength = Math.min(head.length, rate * PIECE_MS);
      const t = now();
      const start = continuing ? busyUntil : Math.max(t, busyUntil);
      pieceAt = start + pieceLength / rate;
      timer = setTimeout(onTimer, Math.max(0, pieceAt - t));
    };
    const onTimer = (): void => {
      timer = null;
      const head = queue[0];
      if (head === undefined) return;
      busyUntil = pieceAt;
      let piece: Buffer;
      if (pieceLength >= head.length) {
        piece = head;
        queue.shift();
      } else {
        piece = head.subarray(0, pieceLength);
        queue[0] = head.subarray(pieceLength);
      }
      bytes -= piece.length;
      out.push(piece);
      pump(true);
      finishIfDrained();
    };

    return {
      write(chunk) {
        if (rate <= 0 && queue.length === 0) {
          out.push(chunk);
          return;
        }
        queue.push(chunk);
        bytes += chunk.length;
        pump(false);
      },
      end() {
        endPending = true;
        finishIfDrained();
      },
      update(a) {
        rate = a.rate ?? 0;
        cancel();
        pump(false);
      },
      flush() {
        sendAll();
        finishIfDrained();
      },
      destroy() {
        cancel();
        queue.length = 0;
        bytes = 0;
      },
      held: () => bytes,
    };
  },
};
