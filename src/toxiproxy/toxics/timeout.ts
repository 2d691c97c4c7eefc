import type { ToxicKind } from '../toxic.ts';

/**
 * `timeout` (timeout ms): drops all data; after `timeout` ms ends the
 * connection (EOF to both sides). 0 holds it open forever. EOF from the
 * source passes through. Removing the toxic closes the connection; an update
 * restarts the timer (the link re-creates the stage).
 */
export const timeout: ToxicKind = {
  type: 'timeout',
  attributes: ['timeout'],
  endOnRemove: true,
  create(out, attributes) {
    const ms = attributes.timeout ?? 0;
    let timer: NodeJS.Timeout | null = ms > 0 ? setTimeout(() => out.end(), ms) : null;
    const cancel = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    return {
      write: () => {},
      end() {
        cancel();
        out.end();
      },
      flush: cancel,
      destroy: cancel,
    };
  },
};
