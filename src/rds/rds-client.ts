import { RDSClient } from '@aws-sdk/client-rds';

/** How pgdrill's SDK client talks to RDS: the region (else the default chain's) and how many attempts the standard retry mode makes. */
export interface RdsClientOptions {
  region?: string;
  env?: NodeJS.ProcessEnv;
}

/** Default attempts per call (the first one included) in the SDK's standard retry mode; `PGDRILL_RDS_MAX_ATTEMPTS` overrides it. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * The one RDS client of a command. Credentials and region come from the
 * SDK's default chain (environment, shared config and SSO profiles,
 * instance roles), `region` overriding the chain's; the SDK's own endpoint
 * overrides (`AWS_ENDPOINT_URL_RDS`, `AWS_ENDPOINT_URL`) are honoured by the
 * SDK itself. Throttling and transient errors are retried by the SDK's
 * `standard` retry mode (exponential backoff with jitter), never by pgdrill.
 */
export function openRdsClient(options: RdsClientOptions = {}): RDSClient {
  const env = options.env ?? process.env;
  const attempts = Number(env.PGDRILL_RDS_MAX_ATTEMPTS);
  // pgdrill pins the SDK line that runs on Node 20; its notice about future SDK versions needing Node 22 is not the
  // operator's concern in the middle of an incident (set the variable to false to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new RDSClient({
    ...(options.region ? { region: options.region } : {}),
    retryMode: 'standard',
    maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : DEFAULT_MAX_ATTEMPTS,
  });
}

/** How the SDK waiters poll (seconds): the waiter's `minDelay`, `maxDelay` and `maxWaitTime`. */
export interface WaiterTiming {
  minDelay: number;
  maxDelay: number;
  maxWaitTime: number;
}

/**
 * Waiter timing: real-world defaults (poll from every 15 s up to every
 * 60 s, give up after 3 h: a large restore takes hours), each overridable
 * by `PGDRILL_RDS_WAIT_MIN_DELAY`, `PGDRILL_RDS_WAIT_MAX_DELAY` and
 * `PGDRILL_RDS_WAIT_MAX_TIME` (seconds, fractions allowed; tests poll fast).
 */
export function waiterTiming(env: NodeJS.ProcessEnv = process.env): WaiterTiming {
  const read = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const minDelay = read('PGDRILL_RDS_WAIT_MIN_DELAY', 15);
  const maxDelay = Math.max(minDelay, read('PGDRILL_RDS_WAIT_MAX_DELAY', 60));
  return { minDelay, maxDelay, maxWaitTime: Math.max(maxDelay + 1, read('PGDRILL_RDS_WAIT_MAX_TIME', 3 * 3600)) };
}
