import { StepUnavailableError, type RunbookStep, type StepCommand, type StepContext } from '../core/runbook.ts';
import type { Endpoint } from '../core/target.ts';
import { parsePools, type PoolerConsole } from '../pooler/admin-console.ts';

/**
 * Steps and helpers the pooler runbooks share. Every step that talks to
 * PgBouncer goes through its admin console (`ctx.pooler`, through `pg`)
 * and shows the console command it sends.
 */

/** The admin console `psql` line a person types for `command` (manual instructions). */
export function consolePsql(command: string): string {
  return `psql -h "$PGBOUNCER_HOST" -p "$PGBOUNCER_PORT" -d pgbouncer -c "${command}"`;
}

/** What a step that sends `commands` to the admin console shows: each is sent through pg exactly as written. */
export function consoleAction(...commands: string[]): StepCommand {
  return { kind: 'action', text: `on PgBouncer's admin console (database pgbouncer): ${commands.join('; ')}` };
}

/** The session's PgBouncer admin console, or a clear "not here" (a person follows the manual instructions). */
export function poolerOf(ctx: StepContext): PoolerConsole {
  if (!ctx.pooler) throw new StepUnavailableError('pooler', 'this session has no PgBouncer admin console (--pooler-url)');
  return ctx.pooler;
}

/** `SHOW POOLS` on the console, one output line per pool; returns the parsed rows. */
export async function showPools(ctx: StepContext): Promise<ReturnType<typeof parsePools>> {
  const pools = parsePools(await poolerOf(ctx).admin('SHOW POOLS'));
  for (const p of pools) ctx.output(`${p.database}/${p.user} (${p.poolMode}): cl_active ${p.clActive}, cl_waiting ${p.clWaiting}, sv_active ${p.svActive}, sv_idle ${p.svIdle}, maxwait ${p.maxwaitMs} ms`);
  if (pools.length === 0) ctx.output('no pools yet (a pool appears with its first client)');
  return pools;
}

/**
 * Verifies the pools are healthy: the console answers, no database is
 * paused or disabled, and no client waits for a server connection.
 */
export function verifyPoolsStep(expect: string): RunbookStep {
  return {
    id: 'verify-pools',
    title: "Verify PgBouncer's pools",
    why: 'The pooler is healthy when its admin console answers, no database is paused or disabled (a PAUSE left behind holds every client) and no client waits for a server connection.',
    expect,
    command: consoleAction('SHOW DATABASES', 'SHOW POOLS'),
    manual: `On the PgBouncer host: ${consolePsql('SHOW DATABASES')} -c "SHOW POOLS"; every database paused = 0, disabled = 0, and cl_waiting 0 in every pool.`,
    timeoutMs: 30_000,
    verifyIntervalMs: 200,
    async verify(ctx) {
      const pooler = poolerOf(ctx);
      const held = (await pooler.admin('SHOW DATABASES')).filter((r) => r.name !== 'pgbouncer' && (Number(r.paused) !== 0 || Number(r.disabled) !== 0)).map((r) => `${String(r.name)} ${Number(r.paused) ? 'paused' : 'disabled'}`);
      const pools = parsePools(await pooler.admin('SHOW POOLS'));
      const waiting = pools.reduce((n, p) => n + p.clWaiting, 0);
      const detail = `PgBouncer ${pooler.endpoint.host}:${pooler.endpoint.port}: ${pools.length} pool(s), ${waiting} client(s) waiting${held.length ? `; ${held.join(', ')}` : ''}`;
      return { ok: held.length === 0 && waiting === 0, detail };
    },
  };
}

/**
 * Points the service's path at another server. With PgBouncer in the path
 * its [databases] section is rewritten and RELOAD sent (PgBouncer opens its
 * new server connections there); without, the fault proxy's upstream is
 * changed. Returns false when the session has neither (a person does it).
 */
export async function repointServicePath(ctx: StepContext, to: Endpoint): Promise<boolean> {
  if (ctx.pooler) {
    const pooler = ctx.lab?.pooler;
    if (!pooler) throw new StepUnavailableError('lab', "repointing PgBouncer means editing its [databases] section and sending RELOAD on its host: follow the manual instructions");
    await pooler.setUpstream(to);
    ctx.output(`PgBouncer ${pooler.endpoint.host}:${pooler.endpoint.port}: [databases] → host=${to.host} port=${to.port}; RELOAD sent on the admin console`);
    return true;
  }
  if (!ctx.link) return false;
  await ctx.link.setUpstream(to);
  ctx.output(`proxy ${ctx.link.name} → ${to.host}:${to.port}`);
  return true;
}
