import type { Target } from '../core/target.ts';
import type { Lab } from '../lab/lab.ts';
import type { LabPooler } from '../lab/pooler.ts';
import type { SupervisedService } from '../service/supervised-service.ts';
import type { SystemUnderDrill } from '../system/system.ts';
import type { ProxyLink } from './proxy-link.ts';

/** What a fault may act on during a drill: the lab's server and files, the network path, the service. */
export interface FaultContext {
  /** The database the service uses, and its server. */
  target: Target;
  /** The lab itself (server process, data directory, binaries): faults act on the lab only. */
  lab: Lab;
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
