import type { Target } from '../core/target.ts';
import type { ProxyLink } from './proxy-link.ts';

/** What a fault may act on during a drill. */
export interface FaultContext {
  /** The database the service uses, and its server. */
  target: Target;
  /** The service's network path to the database, through the fault proxy. */
  link: ProxyLink;
  log: (line: string) => void;
}

/**
 * One thing that breaks. `inject` breaks it and returns once the fault is in
 * place; `revert` undoes it and is idempotent, safe to call when `inject`
 * failed halfway or never ran (cleanup always calls it). One fault per file
 * under `src/faults/`, registered by name in `src/faults/index.ts`.
 */
export interface Fault {
  /** Registry name, kebab-case, e.g. `proxy-down`. */
  readonly name: string;
  /** One sentence: what breaks, as an operator would see it. */
  readonly description: string;
  inject(ctx: FaultContext): Promise<void>;
  revert(ctx: FaultContext): Promise<void>;
}
