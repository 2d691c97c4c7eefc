const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time setting's value in milliseconds, as PostgreSQL reads it: a number
 * with an optional unit (`us`, `ms`, `s`, `min`, `h`, `d`); a bare number is
 * in `defaultUnit` (ms for statement_timeout and its kin). Undefined when
 * it is not one.
 */
export function gucMs(value: string, defaultUnit = 'ms'): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value.replace(/^'|'$/g, ''));
  if (!m) return undefined;
  const unit = UNIT_MS[(m[2] || defaultUnit).toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** The value of `name` in a `pg_db_role_setting.setconfig` array (`name=value` items), if set there. */
export function settingIn(setconfig: unknown, name: string): string | undefined {
  if (!Array.isArray(setconfig)) return undefined;
  for (const item of setconfig as string[]) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq) === name) return item.slice(eq + 1);
  }
  return undefined;
}

/** "30 s", "1.5 s", "250 ms", "2 min": a duration for one line of output. */
export function showMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Math.round(ms)} ms`;
}

/** "3 h", "2 d": an age for one line of output. */
export function showAge(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Math.floor(ms / 86_400_000)} d`;
  if (ms >= 2 * 3_600_000) return `${Math.floor(ms / 3_600_000)} h`;
  if (ms >= 120_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}
