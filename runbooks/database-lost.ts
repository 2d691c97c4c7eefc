import { defineRunbook, type StepContext } from '../src/core/runbook.ts';
import type { DrillLab } from '../src/lab/cluster.ts';
import { verifyServiceStep } from '../src/steps/common-steps.ts';
import { requireLabTarget } from '../src/restore/guard.ts';
import { runCommand } from '../src/util/run-command.ts';
import { repointServicePath } from '../src/steps/pooler-steps.ts';

/** The lab (embedded or in containers) a destructive step of this runbook acts on; refuses another target. */
function labOf(ctx: StepContext, action: string): DrillLab {
  requireLabTarget(ctx, action);
  if (!ctx.drillLab) throw new Error(`cannot ${action} automatically here: this step needs the lab's base backups and WAL archive; follow the manual instructions`);
  return ctx.drillLab;
}

/**
 * Recovery runbook for the seed's "Entire database lost": confirm the
 * server and its data are gone, restore the newest base backup, replay
 * every archived WAL segment, bring the server back where the service
 * expects it, and check the service.
 */
export default defineRunbook({
  id: 'database-lost',
  title: 'The whole database is lost',
  summary:
    'Use when the database server is gone with its data (disk lost, data directory deleted, instance terminated). Recovery is the newest base backup plus every archived WAL segment; whatever WAL was not archived is lost, and the ledger of acknowledged writes shows exactly which.',
  steps: [
    {
      id: 'confirm-lost',
      title: 'Confirm that the server and its data are gone',
      why: 'A restore replaces the data directory. Before that, be sure the server is not merely unreachable (then see the connection-loss runbook): a restore over a live cluster destroys everything written since the backup.',
      expect: 'pg_isready reports no response, and the data directory is missing or unusable.',
      command: { kind: 'action', text: 'pg_isready against the server (it must not answer), then look for PG_VERSION in the data directory' },
      timeoutMs: 20_000,
      async run(ctx) {
        const lab = labOf(ctx, 'inspect the data directory');
        let ready = true;
        try {
          await runCommand(ctx.pgBin('pg_isready'), ['-h', ctx.target.endpoint.host, '-p', String(ctx.target.endpoint.port), '-t', '3'], { env: ctx.target.clientEnv(), timeoutMs: 10_000 });
        } catch {
          ready = false;
        }
        const dataPresent = await lab.dataPresent();
        ctx.output(`server ${ready ? 'ACCEPTS connections' : 'does not answer'}; data directory ${dataPresent ? 'present' : 'missing'}`);
        if (ready) throw new Error('the server is up: this is not a lost database; do not restore over it');
      },
    },
    {
      id: 'restore-latest-backup',
      title: 'Restore the newest base backup and replay the archived WAL',
      why: 'The base backup is a consistent starting point; replaying every archived WAL segment brings it forward to the last archived transaction. Recovery ends at the end of the archive and the cluster is promoted on a new timeline.',
      expect: 'The server runs again on its usual address, recovered up to the last archived transaction.',
      command: { kind: 'action', text: "copy the newest base backup into the data directory, restore_command = 'cp <archive>/%f %p', recovery.signal, pg_ctl start" },
      manual: 'Restore the newest snapshot or base backup to a new instance with WAL replay to the latest point (RDS: restore-db-instance-to-point-in-time --use-latest-restorable-time), then point the service at it.',
      destructive: { touches: 'the lab data directory' },
      timeoutMs: 30 * 60_000,
      async run(ctx) {
        const lab = labOf(ctx, 'restore the data directory');
        ctx.output(await lab.restoreLatestBackup((l) => ctx.output(l)));
        ctx.output(`the lab runs the restored cluster on ${lab.cluster.endpoint.host}:${lab.cluster.endpoint.port}`);
      },
      async verify(ctx) {
        const rows = await ctx.sql('postgres', 'SELECT pg_is_in_recovery() AS r');
        return { ok: rows[0]?.r === false, detail: `pg_is_in_recovery() = ${String(rows[0]?.r)}` };
      },
    },
    {
      id: 'repoint-service',
      title: 'Point the service path at the restored server',
      why: 'The service reaches the database through a stable address. If the restored server came back elsewhere, the path (proxy, DNS name, DATABASE_URL) must follow it.',
      expect: "The service path's upstream is the restored server's address.",
      command: { kind: 'action', text: 'update the proxy upstream (or DATABASE_URL) to the restored server' },
      manual: 'Update DATABASE_URL in the secrets store (or the DNS name) to the restored instance and restart the service.',
      timeoutMs: 30_000,
      async run(ctx) {
        if (!(await repointServicePath(ctx, ctx.drillLab?.proxyUpstream ?? ctx.target.endpoint))) throw new Error('no service path to repoint here: follow the manual instructions');
      },
    },
    verifyServiceStep('GET /health answers 200 within a few seconds; restart the service instances if it keeps failing.'),
  ],
});
