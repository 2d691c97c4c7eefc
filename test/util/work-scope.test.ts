import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/util/run-command.ts';
import { outsideScope, WorkScope } from '../../src/util/work-scope.ts';
import { processesMatching } from '../helpers/test-lab.ts';

describe('work scope', () => {
  it('aborting a scope kills the process trees its commands started, and refuses new commands', async () => {
    const controller = new AbortController();
    const scope = new WorkScope(controller.signal);
    // A shell with a grandchild: killing the shell alone would leave the sleep running.
    const running = scope.run(() => runCommand('sh', ['-c', 'sleep 32.4242 & wait']));
    await expect.poll(() => processesMatching('sleep 32.4242'), { timeout: 5_000, interval: 50 }).not.toEqual([]);
    const started = performance.now();
    controller.abort(new Error('interrupted by SIGINT'));
    await expect(running).rejects.toThrow();
    await scope.stop();
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(await processesMatching('sleep 32.4242')).toEqual([]);
    await expect(scope.run(() => runCommand('true', []))).rejects.toThrow(/not started: interrupted by SIGINT/);
    // Cleanup runs outside the aborted scope.
    await expect(scope.run(() => outsideScope(() => runCommand('true', [])))).resolves.toMatchObject({ stdout: '' });
  });

  it("a command's own timeout kills its whole process tree", async () => {
    await expect(runCommand('sh', ['-c', 'sleep 33.4242 & wait'], { timeoutMs: 300 })).rejects.toThrow();
    expect(await processesMatching('sleep 33.4242')).toEqual([]);
  });
});
