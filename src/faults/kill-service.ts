import type { Fault } from './fault.ts';

/**
 * The service crashes: its process is killed with SIGKILL (no graceful
 * shutdown, in-flight requests lost), as an out-of-memory kill would.
 * Revert starts it again if nothing else has.
 */
export function killService(): Fault {
  return {
    name: 'kill-service',
    description: 'the service process is killed with SIGKILL',
    async inject(ctx) {
      const pid = ctx.service.pid;
      await ctx.service.kill();
      return { detail: `killed service pid ${pid}` };
    },
    async revert(ctx) {
      if (!ctx.service.isRunning()) await ctx.service.restart();
    },
  };
}
