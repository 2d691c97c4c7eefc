import type { ToxicKind } from '../toxic.ts';

/**
 * `reset_peer` (timeout ms): as in Toxiproxy, the first chunk (or EOF) that
 * reaches the toxic starts the countdown; everything from then on is dropped,
 * and after `timeout` ms (0 = at once) the connection is aborted with a TCP
 * RST on both sockets (peers see ECONNRESET). An update changes the timeout
 * for a countdown not yet started.
 */
export const resetPeer: ToxicKind = {
  type: 'reset_peer',
  attributes: ['timeout'],
  create(out, attributes) {
    let ms = attributes.timeout ?? 0;
    let triggered = false;
    let timer: NodeJS.Timeout | null = null;
    const trigger = (): void => {
      if (triggered) return;
      triggered = true;
      if (ms > 0) timer = setTimeout(() => out.reset(), ms);
      else out.reset();
    };
    const cancel = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    return {
      write: trigger,
      end: trigger,
      update(a) {
        ms = a.timeout ?? 0;
      },
      flush: cancel,
      destroy: cancel,
    };
  },
};
