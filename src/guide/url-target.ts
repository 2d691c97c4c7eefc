import { UserError } from '../core/errors.ts';
import type { Endpoint, ServiceName, Target } from '../core/target.ts';
import { registerSecret } from '../util/redact.ts';

/**
 * An existing PostgreSQL server reached through a connection URL
 * (`postgres://user:password@host:port/database?sslmode=...`), for a guided
 * recovery outside the lab. The user in the URL is the one steps run as (it
 * should be able to read pg_stat_activity and do what the runbook does).
 * The password is registered as a secret the moment the URL is parsed, so it
 * is masked wherever it would appear. Its `name` is `host:port`: the name a
 * destructive step asks the operator to type. It is never the lab
 * (`isLab` false) and has no service roles.
 */
export class UrlTarget implements Target {
  readonly kind = 'url' as const;
  readonly isLab = false;
  readonly endpoint: Endpoint;
  readonly name: string;
  /** The database named in the URL (default: postgres). */
  readonly database: string;
  private readonly url: URL;
  private readonly user: string;
  private readonly password: string | undefined;
  private readonly env: NodeJS.ProcessEnv;

  constructor(url: string, env: NodeJS.ProcessEnv = process.env) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UserError('The --url value is not a connection URL.', 'Write it as postgres://user:password@host:5432/database.');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new UserError(`The --url value uses "${parsed.protocol}", not postgres:.`, 'Write it as postgres://user:password@host:5432/database.');
    }
    if (!parsed.hostname) throw new UserError('The --url value names no host.', 'Write it as postgres://user:password@host:5432/database.');
    const port = parsed.port ? Number(parsed.port) : 5432;
    this.password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    registerSecret(this.password);
    registerSecret(parsed.password);
    this.user = parsed.username ? decodeURIComponent(parsed.username) : (env.PGUSER ?? env.USER ?? 'postgres');
    this.database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
    this.url = parsed;
    this.env = env;
    this.endpoint = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
    this.name = `${parsed.hostname}:${port}`;
  }

  adminUrl(database: string, via?: Endpoint): string {
    const url = new URL(this.url.href);
    url.pathname = `/${encodeURIComponent(database)}`;
    if (via) {
      url.hostname = via.host.includes(':') ? `[${via.host}]` : via.host;
      url.port = String(via.port);
    }
    return url.href;
  }

  clientEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.env, PGHOST: this.endpoint.host, PGPORT: String(this.endpoint.port), PGUSER: this.user, PGDATABASE: this.database, PGCONNECT_TIMEOUT: '5' };
    if (this.password !== undefined) env.PGPASSWORD = this.password;
    else delete env.PGPASSWORD;
    const sslmode = this.url.searchParams.get('sslmode');
    if (sslmode) env.PGSSLMODE = sslmode;
    return env;
  }

  serviceUrl(service: ServiceName): string {
    throw new UserError(`A --url target has no service roles (asked for the ${service} service's URL).`, 'Only the lab knows the service roles; run this against the lab.');
  }
}
