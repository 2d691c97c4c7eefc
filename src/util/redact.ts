/**
 * Keeps passwords out of logs, journals and reports.
 *
 * Every string that leaves the harness (terminal, JSON, journal) goes through
 * `redact`. It masks the password of any URL with userinfo
 * (`postgres://user:secret@host` becomes `postgres://user:***@host`), any
 * `password=...` keyword of a libpq connection string, and every secret
 * registered with `registerSecret` (generated role passwords, for instance),
 * wherever it appears.
 */
const secrets = new Set<string>();

/** Remembers a secret value so that `redact` masks it wherever it appears. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 4) secrets.add(secret);
}

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@/\s]+)(@)/gi;
const KEYWORD_PASSWORD = /(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+)/gi;
const ENV_PASSWORD = /(\bPGPASSWORD=)(\S+)/g;

/** Returns `text` with every password masked as `***`. */
export function redact(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1***$3').replace(KEYWORD_PASSWORD, '$1***').replace(ENV_PASSWORD, '$1***');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** Deep-redacts every string inside a JSON-like value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
