import type { Fault } from './fault.ts';

/**
 * The database connection is lost: the proxy between service and database
 * is disabled, so open connections are closed and new ones are refused
 * (ECONNREFUSED), as when a network path or a pooler goes away.
 */
export function proxyDown(): Fault {
  return {
    name: 'proxy-down',
    description: 'the network path from the service to PostgreSQL goes down: open connections close, new ones are refused',
    inject: (ctx) => ctx.link.setEnabled(false),
    revert: async (ctx) => {
      if (!(await ctx.link.isEnabled())) await ctx.link.setEnabled(true);
    },
  };
}
