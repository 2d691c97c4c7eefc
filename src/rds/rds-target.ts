import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { UserError } from '../core/errors.ts';
import type { Endpoint, ServiceName, Target } from '../core/target.ts';
import { UrlTarget } from '../guide/url-target.ts';
import { drillAllowed } from './describe-instance.ts';

/**
 * An RDS instance as a guided session's target. Its `name` is the instance
 * identifier (what a destructive step asks the operator to type); it is
 * never the lab; `drillAllowed` when tagged `pgdrill:drill=allowed`. SQL
 * reaches it only through a connection URL the operator gives (`--url`,
 * the services' DATABASE_URL): RDS does not hand out passwords.
 * `urlFor(endpoint)` is that URL pointed at another instance (a restored one).
 */
export class RdsTarget implements Target {
  readonly kind = 'rds' as const;
  readonly isLab = false;
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly drillAllowed: boolean;
  readonly sqlUrl: UrlTarget | undefined;

  constructor(
    readonly client: RDSClient,
    readonly instance: DBInstance,
    readonly tags: Record<string, string>,
    url?: string,
    readonly region?: string,
  ) {
    this.name = instance.DBInstanceIdentifier ?? '?';
    this.endpoint = { host: instance.Endpoint?.Address ?? '', port: instance.Endpoint?.Port ?? 5432 };
    this.drillAllowed = drillAllowed(tags);
    this.sqlUrl = url ? new UrlTarget(url) : undefined;
  }

  private sql(): UrlTarget {
    if (!this.sqlUrl) throw new UserError(`No connection URL for the RDS instance ${this.name}: pgdrill cannot run SQL on it.`, 'Give --url postgres://user:password@<endpoint>:5432/database (the services\' DATABASE_URL) beside --target rds:<id>.');
    return this.sqlUrl;
  }

  adminUrl(database: string, via?: Endpoint): string {
    return this.sql().adminUrl(database, via);
  }

  clientEnv(): NodeJS.ProcessEnv {
    return this.sql().clientEnv();
  }

  /** The --url's user, password and database, pointed at `endpoint` (another instance); null without --url. Secret: it carries the password. */
  urlFor(endpoint: Endpoint, database?: string): string | null {
    return this.sqlUrl ? this.sqlUrl.adminUrl(database ?? this.sqlUrl.database, endpoint) : null;
  }

  serviceUrl(service: ServiceName): string {
    throw new UserError(`An RDS target has no service roles (asked for the ${service} service's URL).`, 'Only the lab knows the service roles.');
  }
}
