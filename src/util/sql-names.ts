import pg from 'pg';

/**
 * A table name as SQL: `payments` or `schema.table`, each part quoted by
 * node-postgres's `escapeIdentifier` (so `Orders`, `my table` and names
 * holding quotes reach the server exactly as written). A dot always
 * separates schema from table; names with dots inside a part are not
 * supported.
 */
export function tableIdentifier(name: string): string {
  return name.split('.').map((part) => pg.escapeIdentifier(part)).join('.');
}
