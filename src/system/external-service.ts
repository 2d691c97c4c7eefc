import { UserError } from '../core/errors.ts';
import type { SupervisedService } from '../service/supervised-service.ts';

/**
 * A service pgdrill does not run (`system.service.url`), held behind the
 * supervised-service interface: it is assumed running; `kill` and
 * `restart` refuse (a scenario that must crash the service is skipped for
 * such a system before it starts); `stop` leaves it running.
 */
export function externalService(url: string): SupervisedService {
  const port = Number(new URL(url).port || 80);
  const refuse = async (): Promise<void> => {
    throw new UserError(`pgdrill does not run the service at ${url} (system.service.url), so it cannot kill or restart it.`, 'Give system.service.command instead to let pgdrill run it.');
  };
  return { url, port, pid: -1, isRunning: () => true, kill: refuse, restart: refuse, stop: async () => {} };
}
