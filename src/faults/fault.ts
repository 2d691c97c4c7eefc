import { UserError } from '../core/errors.ts';
import type { DrillLab, PgCluster } from '../lab/cluster.ts';
import type { Lab } from '../lab/lab.ts';
import type { LabPooler } from '../lab/pooler.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import type { ProxyLink } from './proxy-link.ts';

/** What a fault may act on during a drill: the lab's server and files, the network path, the service. */
export interface FaultContext {
  /** The cluster the service uses (the embedded lab's server or a container): start, stop, kill, query. */
  target: PgCluster;
  /** Where the drill runs (embedded lab or containers): its replica, and how to make it whole after a failover. */
  drillLab: DrillLab;
  /** The embedded lab (data directory, WAL archive, binaries, replica), when the drill runs on it; absent on the docker target. */
  lab?: Lab;
  /** The service's network path to the database, through the fault proxy. */
  link: ProxyLink;
  /** The service under drill (a fault may crash it). */
  service: SupervisedService;
  /** The lab's PgBouncer, when it is in the service's path (service → fault proxy → PgBouncer → PostgreSQL). */
  pooler?: LabPooler;
  /** The system under drill: its database, service role and ledger table, which faults act on by default. */
  system: SystemUnderDrill;
  log: (line: string) => void;
}

/**
 * One thing that breaks. `inject` breaks it and returns once the fault is in
 * place; `revert` undoes it and is idempotent, safe to call when `inject`
 * failed halfway or never ran (cleanup always calls it). One fault per file
 * under `src/faults/`, registered by name in `src/faults/index.ts`.
 */
/** What a fault saw itself do, as evidence that it took effect (e.g. "deleted 1,200 rows"). */
export interface FaultEvidence {
  detail: string;
}

export interface Fault {
  /** Registry name, kebab-case, e.g. `proxy-down`. */
  readonly name: string;
  /** One sentence: what breaks, as an operator would see it. */
  readonly description: string;
  /**
   * Breaks it. May return evidence that it took effect; a drill whose fault
   * nothing noticed (no failed request, no lost write) is `ineffective`, whatever it reports, unless the scenario declares `evidenceIsProof`.
   */
  inject(ctx: FaultContext): Promise<void | FaultEvidence>;
  revert(ctx: FaultContext): Promise<void>;
  /**
   * True when the damage stays in the lab's data after pgdrill stops (rows
   * deleted, a table dropped, pages corrupted): a resumed game day finds it
   * still there and does not inject it again. Faults that live in pgdrill's
   * own processes (the proxy's, a held session) are gone with them and are
   * injected again.
   */
  readonly persistsInLab?: boolean;
}

/**
 * The embedded lab a fault or setup needs (its data directory, archive,
 * replica); a `UserError` on a target without one (docker), naming what
 * needed it. Scenarios that need it declare `needs: ['lab-files']`, so a
 * drill on another target is skipped before it gets here.
 */
export function embeddedLab(ctx: { lab?: Lab }, what: string): Lab {
  if (!ctx.lab) throw new UserError(`${what} needs the embedded lab's files and processes on this machine, which this target does not offer.`, 'Run this scenario on the embedded lab (leave --target out).');
  return ctx.lab;
}
