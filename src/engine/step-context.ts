import pg from 'pg';
import { inProcessMemory, type Rows, type SessionMemory, type StepContext } from '../core/runbook.ts';
import type { Target } from '../core/target.ts';
import type { ProxyLink } from '../faults/proxy-link.ts';
import type { Lab } from '../lab/lab.ts';
import type { DrillLab, StandbyCluster } from '../lab/cluster.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import type { PgBinaries } from '../lab/pg-binaries.ts';
import type { PoolerConsole } from '../pooler/admin-console.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import { runCommand } from '../util/run-command.ts';
import { runShellText } from '../util/shell-text.ts';
import path from 'node:path';
import { abortedScopeReason, trackQuery } from '../util/work-scope.ts';

/** A step context and the connections behind it; `close` ends them all. */
export interface StepContextHandle {
  /** Builds the context one step sees (its own output sink and signal). */
  forStep(output: (line: string) => void, signal: AbortSignal): StepContext;
  close(): Promise<void>;
}

function isConnectionError(error: unknown): boolean {
  return !(error instanceof Error && 'code' in error && typeof (error as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code));
}

/**
 * Cancels the query a backend runs, with pg_cancel_backend from a connection
 * of its own (a superuser may use a reserved slot when the server is full).
 * False when that was not possible.
 */
async function cancelBackend(url: string, pid: number | undefined): Promise<boolean> {
  if (!pid) return false;
  const killer = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, application_name: 'pgdrill-cancel' });
  killer.on('error', () => {});
  try {
    await killer.connect();
    const { rows } = await killer.query<{ ok: boolean }>('SELECT pg_cancel_backend($1) AS ok', [pid]);
    return rows[0]?.ok === true;
  } catch {
    return false;
  } finally {
    await killer.end().catch(() => {});
  }
}

/**
 * Opens what runbook steps use: one small superuser pool per database,
 * direct to the target (never through the fault proxy), created on first use.
 * Idle connections are kept until `close`: a drill's own sessions must not
 * come and go (a connection-exhaustion drill counts every slot).
 */
export function openStepContext(init: { target: Target; binaries: PgBinaries; link?: ProxyLink; serviceUrl?: string; service?: SupervisedService; lab?: Lab; pooler?: PoolerConsole; memory?: SessionMemory; system?: SystemUnderDrill; replica?: () => StandbyCluster | null; drillLab?: DrillLab }): StepContextHandle {
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
          const aborted = abortedScopeReason();
          if (aborted !== undefined) throw aborted;
          const pool = poolFor(database);
          const client = await pool.connect();
          let broken: Error | undefined;
          let released = false;
          const release = (error?: Error) => {
            if (released) return;
            released = true;
            client.release(error);
          };
          // While it runs, the query belongs to the step's work scope: aborting the step cancels it
          // (or, when no connection for pg_cancel_backend can be had, closes its connection).
          const done = trackQuery(async () => {
            if (!(await cancelBackend(init.target.adminUrl(database), (client as unknown as { processID?: number }).processID))) release(new Error('the query was abandoned: its connection was closed'));
          });
          try {
            const result = await client.query(text, params as unknown[] | undefined);
            return result.rows as Rows;
          } catch (error) {
            broken ??= isConnectionError(error) ? (error as Error) : undefined;
            throw error;
          } finally {
            done();
            release(broken);
          }
        },
        async exec(file, args) {
          const out = await runCommand(file, args, { env: init.target.clientEnv(), timeoutMs: 60_000 });
          return out.stdout;
        },
        shell(text) {
          const env: NodeJS.ProcessEnv = { ...init.target.clientEnv(), PATH: [init.binaries.bindir, process.env.PATH ?? ''].join(path.delimiter) };
          if (init.serviceUrl) env.SERVICE_URL = init.serviceUrl;
          return runShellText(text, { env, onLine: output });
        },
        pgBin: (name) => init.binaries.bin(name),
        output,
        signal,
      };
      if (init.link) ctx.link = init.link;
      if (init.serviceUrl) ctx.serviceUrl = init.serviceUrl;
      if (init.service) ctx.service = init.service;
      if (init.lab) ctx.lab = init.lab;
      const drillLab = init.drillLab ?? init.lab;
      if (drillLab) ctx.drillLab = drillLab;
      const replica = init.replica?.() ?? init.lab?.replicaCluster;
      if (replica) ctx.replica = replica;
      if (init.pooler) ctx.pooler = init.pooler;
      if (init.system) ctx.system = init.system;
      return ctx;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      pools.clear();
    },
  };
}
