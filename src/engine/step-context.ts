import pg from 'pg';
import { inProcessMemory, type Rows, type SessionMemory, type StepContext } from '../core/runbook.ts';
import type { Target } from '../core/target.ts';
import type { ProxyLink } from '../faults/proxy-link.ts';
import type { Lab } from '../lab/lab.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import type { PgBinaries } from '../lab/pg-binaries.ts';
import { runCommand } from '../util/run-command.ts';

/** A step context and the connections behind it; `close` ends them all. */
export interface StepContextHandle {
  /** Builds the context one step sees (its own output sink and signal). */
  forStep(output: (line: string) => void, signal: AbortSignal): StepContext;
  close(): Promise<void>;
}

/**
 * Opens what runbook steps use: one small superuser pool per database,
 * direct to the target (never through the fault proxy), created on first use.
 * Idle connections are kept until `close`: a drill's own sessions must not
 * come and go (a connection-exhaustion drill counts every slot).
 */
export function openStepContext(init: { target: Target; binaries: PgBinaries; link?: ProxyLink; serviceUrl?: string; service?: SupervisedService; lab?: Lab; memory?: SessionMemory }): StepContextHandle {
  const memory = init.memory ?? inProcessMemory();
  const pools = new Map<string, pg.Pool>();
  const poolFor = (database: string): pg.Pool => {
    let pool = pools.get(database);
    if (!pool) {
      pool = new pg.Pool({ connectionString: init.target.adminUrl(database), max: 2, connectionTimeoutMillis: 5000, idleTimeoutMillis: 0, application_name: 'pgdrill-runbook' });
      pool.on('error', () => {});
      pools.set(database, pool);
    }
    return pool;
  };
  return {
    forStep(output, signal) {
      const ctx: StepContext = {
        target: init.target,
        memory,
        async sql(database, text, params) {
          const result = await poolFor(database).query(text, params as unknown[] | undefined);
          return result.rows as Rows;
        },
        async exec(file, args) {
          const out = await runCommand(file, args, { env: init.target.clientEnv(), timeoutMs: 60_000 });
          return out.stdout;
        },
        pgBin: (name) => init.binaries.bin(name),
        output,
        signal,
      };
      if (init.link) ctx.link = init.link;
      if (init.serviceUrl) ctx.serviceUrl = init.serviceUrl;
      if (init.service) ctx.service = init.service;
      if (init.lab) ctx.lab = init.lab;
      return ctx;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      pools.clear();
    },
  };
}
