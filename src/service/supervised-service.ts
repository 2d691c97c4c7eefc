import { startPaymentsService, type ServiceOptions, type ServiceProcess } from './service-process.ts';

/**
 * The sample service as a drill holds it: one stable URL across crashes and
 * restarts (a restart listens on the same port, as a restarted container
 * behind the same address would). `kill` is a crash (SIGKILL); `restart`
 * starts it again if it is not running; `stop` ends it for good. All are
 * idempotent.
 */
export interface SupervisedService {
  readonly url: string;
  readonly port: number;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  isRunning(): boolean;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the sample service under supervision. */
export async function startSupervisedService(options: ServiceOptions): Promise<SupervisedService> {
  let current: ServiceProcess = await startPaymentsService(options);
  let running = true;
  let stopped = false;
  const watch = (p: ServiceProcess) => {
    void p.exited.then(() => {
      if (current === p) running = false;
    });
  };
  watch(current);
  const port = current.port;
  return {
    url: current.url,
    port,
    get pid() {
      return current.pid;
    },
    isRunning: () => running,
    async kill() {
      await current.kill();
      running = false;
    },
    async restart() {
      if (stopped) throw new Error('the service was stopped for good');
      if (running) return;
      current = await startPaymentsService({ ...options, port });
      running = true;
      watch(current);
    },
    async stop() {
      stopped = true;
      await current.stop();
      running = false;
    },
  };
}
