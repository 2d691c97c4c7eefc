import { execFileSync } from 'node:child_process';

/** Processes of ours: test lab servers, the sample service, a pgdrill CLI. */
function leftovers(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => /pgdrill-test-|pgdrill-lab-|payments-service\.ts|bin\/pgdrill\.mjs/.test(line))
    .filter((line) => !line.includes('ps -eo'));
}

/**
 * After the whole suite: nothing the tests or the harness started may still
 * run. Anything found is killed and the run fails, naming it.
 */
export default function setup(): () => void {
  return () => {
    const left = leftovers();
    if (left.length === 0) return;
    for (const line of left) {
      const pid = Number(line.trim().split(/\s+/)[0]);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    throw new Error(`These processes were still running after the test suite (now killed):\n${left.join('\n')}`);
  };
}
