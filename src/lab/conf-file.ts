/**
 * postgresql.conf syntax for the settings pgdrill writes (the lab's
 * `pgdrill.conf`, scratch clusters' recovery settings). This is the server's
 * configuration-file grammar, not SQL: a string value is single-quoted with
 * quotes doubled, a number is written bare.
 */

/** One `name = value` line per setting, in the order given. */
export function confLines(settings: Record<string, string | number>): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value.replace(/'/g, "''")}'`}`)
    .join('\n');
}
