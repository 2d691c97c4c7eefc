import pg from 'pg';
import type { FaultContext } from '../faults/fault.ts';

/** A table a fault acts on: its database, schema and name, how messages name it, and its SQL identifier. */
export interface FaultTable {
  database: string;
  schema: string;
  table: string;
  /** For messages: `database.table` (`database.schema.table` outside public). */
  name: string;
  /** Quoted with node-postgres's escapeIdentifier: `"schema"."table"`. */
  qualified: string;
}

/** The table a table fault acts on: the one given, else the system under drill's ledger table (the sample's payments). */
export function faultTable(ctx: FaultContext, options: { database?: string; table?: string }): FaultTable {
  const database = options.database ?? ctx.system.database;
  const schema = options.table ? 'public' : ctx.system.ledger.schema;
  const table = options.table ?? ctx.system.ledger.table;
  return { database, schema, table, name: schema === 'public' ? `${database}.${table}` : `${database}.${schema}.${table}`, qualified: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}` };
}
