import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, descendantsOf } from '../../src/util/process-tree.ts';

describe('process tree (portable: /proc on Linux, POSIX ps elsewhere)', () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  it('finds a shell\'s child and grandchild, and nothing under a process without children', async () => {
    // sh → sh → sleep: a child and a grandchild of the outer shell.
    const outer = spawn('sh', ['-c', 'sh -c "sleep 30; true" & wait'], { detached: true, stdio: 'ignore' });
    started.push(outer.pid!);
    let tree: number[] = [];
    for (let i = 0; i < 50 && tree.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tree = descendantsOf(outer.pid!);
    }
    expect(tree).toHaveLength(2);
    expect(childrenOf(outer.pid!)).toEqual([tree[0]]);
    expect(childrenOf(tree[0]!)).toEqual([tree[1]]);
    expect(descendantsOf(tree[1]!)).toEqual([]);
  });
});
