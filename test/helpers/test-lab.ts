import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab } from '../../src/lab/lab.ts';

const tempDirs: string[] = [];

/** A temporary directory the PostgreSQL server user can enter (mode 0755), removed after the test file. */
export function tempDir(prefix: string): string {
  const run = process.env.PGDRILL_TEST_RUN ?? 'adhoc';
  const dir = mkdtempSync(path.join(os.tmpdir(), `pgdrill-test-${run}-${prefix}-`));
  chmodSync(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

/** Lab directories (holding lab.json) under `dir`, never following symbolic links out of it. */
function findLabDirs(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === 'lab.json') found.push(dir);
    else if (entry.isDirectory()) found.push(...findLabDirs(full));
  }
  return found;
}

/** Stops and purges every lab under the temporary directories of this test file, then removes them. */
export async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs.splice(0)) {
    const labDirs = existsSync(dir) ? findLabDirs(dir) : [];
    for (const labDir of labDirs) await new Lab({ labDir }).down({ purge: true });
    rmSync(dir, { recursive: true, force: true });
  }
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
    dispose: removeTempDirs,
  };
}

/** Command lines of running processes whose arguments contain `needle`. */
export async function processesMatching(needle: string): Promise<string[]> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(needle) && !line.includes('ps -eo'));
}

export { isProcessAlive as isAlive } from '../../src/util/process-alive.ts';
