import { Option, type Command } from 'commander';
import { openCheckContext } from '../../checks/open-check-context.ts';
import { CHECKS, RDS_CHECKS } from '../../checks/index.ts';
import { checkExitCode, overallStatus, runChecks, selectChecks } from '../../checks/run-checks.ts';
import { UserError } from '../../core/errors.ts';
import { renderCheckLine, renderCheckMarkdown, renderCheckTotals, writeCheckJson, writeCheckJunit, type CheckReport } from '../../report/check-report.ts';
import { checkOutputFile } from '../../util/safe-dir.ts';
import { appendStepSummary, say, warn } from '../output.ts';
import { commandSummary } from '../command-table.ts';

interface CheckFlags {
  url?: string;
  labDir?: string;
  only?: string;
  failOn: 'fail' | 'warn';
  json?: string;
  junit?: string;
  pooler?: string;
  history?: string;
  rds?: string;
  region?: string;
}

/** `pgdrill check`: the seed's pre-production checklist as a read-only readiness gate. */
export function registerCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('check')
    .description(commandSummary('check'))
    .option('--url <url>', 'check this server (postgres://user:password@host:port/database) instead of the lab')
    .option('--rds <id>', 'check this RDS instance through the RDS API (read-only Describe* calls); with --url, the SQL checks run too')
    .option('--region <region>', 'AWS region of --rds (default: the AWS default chain: AWS_REGION, the profile)')
    .option('--lab-dir <dir>', 'lab directory (default: .pgdrill under the current directory)')
    .option('--only <checks>', 'comma-separated check ids or groups (databases, security, connections, backups, monitoring, performance, drills)')
    .addOption(new Option('--fail-on <level>', 'what fails the gate: fail (default) or warn').choices(['fail', 'warn']).default('fail'))
    .option('--json <file>', 'write the results as JSON: { status, checks: [{ id, group, title, status, found, expected, fix, seedSection }] }')
    .option('--junit <file>', 'write JUnit XML: one test case per check')
    .option('--pooler <url>', 'PgBouncer\'s admin console (postgres://user:password@host:6432/pgbouncer) for the pooler check')
    .option('--history <file>', 'drill history for drills-recent and backup-restore-tested (default: .pgdrill/history.jsonl)')
    .addHelpText('after', '\nExit codes: 0 nothing failed, 2 a check failed (with --fail-on warn: or warned), 1 pgdrill could not run (bad flags, unreachable server).\nIt only reads: every session is read-only. When $GITHUB_STEP_SUMMARY is set, a Markdown table is appended to it.')
    .action(async (flags: CheckFlags) => {
      if (flags.url && flags.labDir) throw new UserError('--url and --lab-dir name two different servers.', 'Give one of them.');
      const only = flags.only?.split(',').map((s) => s.trim()).filter(Boolean);
      if (flags.only !== undefined && (!only || only.length === 0)) throw new UserError('--only names no check.', 'Give check ids or groups separated by commas, e.g. --only security,backups.');
      if (flags.rds && flags.labDir) throw new UserError('--rds and --lab-dir name two different servers.', 'Give --rds (with --url for the SQL checks on the same instance), or --lab-dir.');
      if (flags.region && !flags.rds) throw new UserError('--region applies to --rds.', 'Add --rds <instance id>, or leave --region out.');
      const available = flags.rds ? [...(flags.url ? CHECKS : []), ...RDS_CHECKS] : CHECKS;
      const checks = selectChecks(only, available);
      for (const [flag, file] of [['--json', flags.json], ['--junit', flags.junit]] as const) if (file) checkOutputFile(file, flag);
      const { ctx, close } = await openCheckContext({ ...(flags.rds ? { rds: { id: flags.rds, ...(flags.region ? { region: flags.region } : {}) } } : {}), url: flags.url, labDir: flags.labDir, pooler: flags.pooler, historyFile: flags.history });
      let report: CheckReport;
      try {
        const s = ctx.session;
        const powers = ctx.target.kind === 'rds' ? 'Describe* calls only' : s.superuser ? 'superuser' : `pg_monitor: ${s.pgMonitor ? 'yes' : 'no'}`;
        warn(`· checking ${ctx.target.name} as ${s.user} (${powers}), read-only`);
        const results = await runChecks(checks, ctx, (r) => say(renderCheckLine(r)));
        const status = overallStatus(results, flags.failOn);
        say(renderCheckTotals(results, status));
        report = { status, target: ctx.target.name, checkedAs: s.user, at: ctx.now.toISOString(), checks: results };
      } finally {
        await close();
      }
      if (flags.json) writeCheckJson(flags.json, report);
      if (flags.junit) writeCheckJunit(flags.junit, report.checks, flags.failOn);
      appendStepSummary(() => renderCheckMarkdown(report));
      setExit(checkExitCode(report.status));
    });
}
