import { defineRunbook, StepUnavailableError } from '../src/core/runbook.ts';
import { errorMessage } from '../src/core/errors.ts';
import { checkServerStep, verifyServiceStep } from '../src/steps/common-steps.ts';
import { consoleAction, consolePsql, poolerOf, verifyPoolsStep } from '../src/steps/pooler-steps.ts';

/**
 * PgBouncer is down while PostgreSQL is fine: confirm the server is
 * healthy and the pooler is not, start the pooler again, verify its pools
 * and the service.
 */
export default defineRunbook({
  id: 'pooler-down',
  title: 'PgBouncer is down',
  summary:
    'Use when the services fail with "connection refused" (or timeouts) at the pooler\'s address while PostgreSQL itself accepts connections. The services reach the database only through PgBouncer: start it again, then check its pools and the service. Find out afterwards why it died (its log, an OOM kill).',
  steps: [
    checkServerStep('If PostgreSQL is down too, restarting the pooler fixes nothing: the server is the incident (see the database-lost or primary-failover runbook).'),
    {
      id: 'check-pooler',
      title: "Check that PgBouncer's admin console does not answer",
      why: 'The pooler is the part that failed when the server answers but the pooler does not. If the console answers, PgBouncer is running and the fault is elsewhere on the path (the network, a paused pool: see pool-saturation or connection-loss).',
      expect: 'The admin console refuses the connection (PgBouncer is not running).',
      command: consoleAction('SHOW VERSION'),
      manual: `On the PgBouncer host: ${consolePsql('SHOW VERSION')}; \`systemctl status pgbouncer\` and its log tell why it stopped.`,
      timeoutMs: 15_000,
      async run(ctx) {
        const pooler = poolerOf(ctx);
        let version: string;
        try {
          version = String((await pooler.admin('SHOW VERSION'))[0]?.version ?? '?');
        } catch (error) {
          ctx.output(`PgBouncer ${pooler.endpoint.host}:${pooler.endpoint.port}: ${errorMessage(error)}`);
          return;
        }
        throw new Error(`PgBouncer ${pooler.endpoint.host}:${pooler.endpoint.port} answers (${version}): the pooler is not down; look at the rest of the path (connection-loss, pool-saturation runbooks)`);
      },
    },
    {
      id: 'restart-pooler',
      title: 'Start PgBouncer again',
      why: 'PgBouncer keeps no state that must survive a crash: a new process with the same configuration takes the same address, and the services reconnect to it. Its server connections are opened again on demand.',
      expect: 'PgBouncer runs again (a new pid) and its admin console answers.',
      command: { kind: 'action', text: 'start PgBouncer as a daemon with its configuration, as the account it runs as: pgbouncer -d <its pgbouncer.ini> (systemd: systemctl restart pgbouncer)' },
      manual: 'Restart it the way it is deployed: `systemctl restart pgbouncer`, or restart its container or pod. Read its log for the reason it died.',
      timeoutMs: 30_000,
      async run(ctx) {
        const pooler = ctx.lab?.pooler;
        if (!pooler) throw new StepUnavailableError('lab', "PgBouncer runs on its own host here: restart it the way it is deployed");
        await pooler.start();
        ctx.output(`PgBouncer started (pid ${pooler.pid()}) on ${pooler.endpoint.host}:${pooler.endpoint.port} with ${pooler.files.configFile}`);
      },
      async verify(ctx) {
        const pooler = poolerOf(ctx);
        const version = String((await pooler.admin('SHOW VERSION'))[0]?.version ?? '?');
        return { ok: true, detail: `admin console answers: ${version}` };
      },
    },
    verifyPoolsStep('The console answers; no database paused or disabled; no client waiting.'),
    verifyServiceStep('GET /health answers 200 within a second, through PgBouncer.'),
  ],
});
