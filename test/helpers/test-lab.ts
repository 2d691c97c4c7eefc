import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab } from '../../src/lab/lab.ts';

/** A temporary directory the PostgreSQL server user can enter (mode 0755). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pgdrill-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** A lab in its own temporary directory; `dispose` stops and purges it and removes the directory. */
export async function startTestLab(prefix = 'lab'): Promise<{ lab: Lab; labDir: string; dispose: () => Promise<void> }> {
  const root = tempDir(prefix);
  const labDir = path.join(root, 'lab');
  const lab = new Lab({ labDir });
  await lab.up('persistent');
  return {
    lab,
    labDir,
    dispose: async () => {
      await new Lab({ labDir }).down({ purge: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Command lines of running processes whose arguments contain `needle`. */
export async function processesMatching(needle: string): Promise<string[]> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}

export { isProcessAlive as isAlive } from '../../src/util/process-alive.ts';
