/** The four service databases of the seed, and the least-privilege role each service uses. */
export const SERVICE_DATABASES = {
  auth: { database: 'auth_db', role: 'auth_service' },
  payments: { database: 'payments_db', role: 'payments_service' },
  admin: { database: 'admin_db', role: 'admin_service' },
  profile: { database: 'profile_db', role: 'profile_service' },
} as const;

/** A service name of the seed: auth, payments, admin or profile. */
export type ServiceName = keyof typeof SERVICE_DATABASES;

/** A host and port on loopback through which a client reaches PostgreSQL (the server itself, or a fault proxy in front of it). */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Where the databases live, as the harness reaches them. `lab` is the
 * harness-managed cluster; later kinds (docker, rds, url) implement the same
 * contract. URLs returned here carry passwords: never print them without
 * `redact`.
 */
export interface Target {
  readonly kind: 'lab' | 'docker' | 'url' | 'rds';
  /** A short name of the cluster; a destructive step asks the operator to type it. */
  readonly name: string;
  /** Where PostgreSQL itself listens (direct, not through any proxy). */
  readonly endpoint: Endpoint;
  /** True only for the harness's own lab: destructive steps refuse anything else unless explicitly allowed. */
  readonly isLab: boolean;
  /**
   * True when the owner marked this target for drills (an RDS instance
   * tagged `pgdrill:drill=allowed`): destructive steps run on it without
   * --allow-destructive, still after the typed confirmation.
   */
  readonly drillAllowed?: boolean;
  /** Superuser connection URL to `database`: direct, or through `via` (a proxy) when given. */
  adminUrl(database: string, via?: Endpoint): string;
  /** Environment for libpq programs (psql, pg_isready) connecting as the superuser, password included: pass it to children, never print it. */
  clientEnv(): NodeJS.ProcessEnv;
  /** The least-privilege URL `service` uses, through `via` (a proxy) when given. */
  serviceUrl(service: ServiceName, via?: Endpoint): string;
}
