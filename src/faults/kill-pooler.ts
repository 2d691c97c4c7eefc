import { isProcessAlive } from '../util/process-alive.ts';
import { sleep } from '../util/sleep.ts';
import type { Fault, FaultContext } from './fault.ts';
import type { LabPooler } from '../lab/pooler.ts';

/** The pooler in the service's path, or a clear error for a drill without one. */
export function poolerInPath(ctx: FaultContext): LabPooler {
  if (!ctx.pooler) throw new Error('this fault acts on PgBouncer, and the drill has no pooler in the service path (the scenario must need `pooler`, or run it with --pooler)');
  return ctx.pooler;
}

/**
 * The pooler dies: the lab's PgBouncer is killed with SIGKILL under load
 * (no shutdown: its clients' connections and its server connections drop at
 * once); PostgreSQL keeps running. Evidence: the killed pid and what its
 * pools held. `revert` starts PgBouncer again when the runbook did not.
 */
export function killPooler(): Fault {
  return {
    name: 'kill-pooler',
    description: 'kill -9 PgBouncer; PostgreSQL keeps running, the service path is cut at the pooler',
    async inject(ctx) {
      const pooler = poolerInPath(ctx);
      const pid = pooler.pid();
      if (pid === undefined) throw new Error('PgBouncer is not running, so there is nothing to kill');
      const held = (await pooler.pools().catch(() => []))
        .map((p) => `${p.database}/${p.user}: ${p.svActive + p.svIdle} server connections`)
        .join(', ');
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(20);
      if (isProcessAlive(pid)) throw new Error(`PgBouncer (pid ${pid}) is still alive 10 s after SIGKILL`);
      return { detail: `PgBouncer (pid ${pid}) killed with SIGKILL${held ? `; its pools held ${held}` : ''}` };
    },
    async revert(ctx) {
      if (ctx.pooler && !ctx.pooler.isRunning()) {
        ctx.log('PgBouncer is still down after the drill: starting it again.');
        await ctx.pooler.start();
      }
    },
  };
}
