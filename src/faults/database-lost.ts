import { existsSync, readdirSync, rmSync } from 'node:fs';
import { isProcessAlive } from '../util/process-alive.ts';
import { sleep } from '../util/sleep.ts';
import type { Fault } from './fault.ts';
import { childrenOf } from '../util/process-tree.ts';

/**
 * The whole database is lost: the lab's postmaster is killed with SIGKILL
 * and its data directory removed, under load. The WAL archive (outside the
 * data directory) survives, so does every base backup: that is all a
 * recovery has. WAL not yet archived is gone, and with it the writes it
 * held. Evidence: the killed pid, the removed directory and the last
 * archived segment. `revert` cannot bring the data back (the runbook
 * restores it).
 */
export function databaseLost(): Fault {
  return {
    name: 'database-lost',
    description: 'kill -9 the PostgreSQL postmaster and remove its data directory',
    async inject(ctx) {
      const lab = ctx.lab;
      const { dataDir, archiveDir } = lab.paths;
      const pid = lab.postmasterPid();
      if (!pid) throw new Error('the lab has no running postmaster to kill');
      const children = childrenOf(pid);
      process.kill(pid, 'SIGKILL');
      // Orphaned backends notice the postmaster's death and exit; they must be gone before a new server starts.
      const deadline = Date.now() + 10_000;
      while ([pid, ...children].some(isProcessAlive) && Date.now() < deadline) await sleep(50);
      for (const child of children) if (isProcessAlive(child)) process.kill(child, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      const archived = existsSync(archiveDir) ? readdirSync(archiveDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort() : [];
      return { detail: `postmaster ${pid} killed (SIGKILL), ${dataDir} removed; last archived WAL segment ${archived.at(-1) ?? 'none'}` };
    },
    async revert() {
      // Nothing to undo: the data directory is gone; the runbook restores it from the backup and the archive.
    },
  };
}
