import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** True when the process belongs to this test run (its arguments or environment carry the run id). */
function ofThisRun(pid: number, args: string, runId: string): boolean {
  if (args.includes(runId)) return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`PGDRILL_TEST_RUN=${runId}`);
  } catch {
    return false;
  }
}

/** Processes of ours from this run: test lab servers, the sample service, a pgdrill CLI, a proxy. */
function leftovers(runId: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => /postgres|pgbouncer|payments-service\.(ts|js)|bin\/pgdrill\.mjs|toxiproxy|server\.mjs|fixture-service/.test(line))
    .filter((line) => !line.includes('ps -eo'))
    .filter((line) => ofThisRun(Number(line.trim().split(/\s+/)[0]), line, runId));
}

/**
 * Gives the run an id (temp dirs and child processes carry it), and after
 * the whole suite checks that nothing the tests or the harness started is
 * still running. Anything found is killed and the run fails, naming it.
 * Processes of other, concurrent test runs are left alone.
 */
export default function setup(): () => void {
  const runId = `r${randomBytes(4).toString('hex')}`;
  process.env.PGDRILL_TEST_RUN = runId;
  return () => {
    const left = leftovers(runId);
    if (left.length === 0) return;
    for (const line of left) {
      try {
        process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    throw new Error(`These processes were still running after the test suite (now killed):\n${left.join('\n')}`);
  };
}
