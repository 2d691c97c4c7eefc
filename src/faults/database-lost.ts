import type { Fault } from './fault.ts';

/**
 * The whole database is lost: the lab's postmaster is killed with SIGKILL
 * and its data directory removed, under load (a container: killed, its data
 * volume removed). The WAL archive (outside the
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
      return { detail: await ctx.drillLab.loseDatabase() };
    },
    async revert() {
      // Nothing to undo: the data directory is gone; the runbook restores it from the backup and the archive.
    },
  };
}
