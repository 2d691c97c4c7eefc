import { existsSync, readdirSync, rmSync } from 'node:fs';
import { embeddedLab, type Fault } from './fault.ts';

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
      const lab = embeddedLab(ctx, 'The database-lost fault');
      const { dataDir, archiveDir } = lab.paths;
      // Orphaned backends are gone too before it returns: none may be alive when a new server starts.
      const killed = await lab.kill();
      rmSync(dataDir, { recursive: true, force: true });
      const archived = existsSync(archiveDir) ? readdirSync(archiveDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort() : [];
      return { detail: `${killed}, ${dataDir} removed; last archived WAL segment ${archived.at(-1) ?? 'none'}` };
    },
    async revert() {
      // Nothing to undo: the data directory is gone; the runbook restores it from the backup and the archive.
    },
  };
}
