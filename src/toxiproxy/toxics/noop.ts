import type { ToxicKind } from '../toxic.ts';

/** `noop`: passes data and EOF through untouched. */
export const noop: ToxicKind = {
  type: 'noop',
  attributes: [],
  create(out) {
    return {
      write: (chunk) => out.push(chunk),
      end: () => out.end(),
      update: () => {},
      flush: () => {},
      destroy: () => {},
    };
  },
};
