import { badRequestBody } from './errors.ts';

/**
 * Decoding of request bodies with the leniency and strictness of Go's
 * encoding/json as Toxiproxy uses it: field names match case-insensitively,
 * `null` leaves a field unchanged, unknown fields are ignored, and a value of
 * the wrong JSON type is a 400 `bad request body: ...`.
 */

/** A decoded JSON object (field access is case-insensitive through {@link field}). */
export type JsonObject = Record<string, unknown>;

/** Parse a request body. An empty body is Go's `EOF`. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') throw badRequestBody('EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequestBody((err as Error).message);
  }
}

/** The JSON type name Go uses in its unmarshal errors. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function mismatch(value: unknown, target: string): Error {
  const shown = typeof value === 'number' ? `number ${value}` : jsonKind(value);
  return badRequestBody(`json: cannot unmarshal ${shown} into ${target}`);
}

/** `value` as an object; `null` decodes as an empty object. */
export function asObject(value: unknown, goType: string): JsonObject {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, `Go value of type ${goType}`);
  return value as JsonObject;
}

/** A field by name: the exact key if present, else a case-insensitive match. */
export function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

/** A string field; undefined when absent or null. */
export function optString(object: JsonObject, name: string, where: string): string | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw mismatch(value, `Go struct field ${where}.${name} of type string`);
  return value;
}

/** A boolean field; undefined when absent or null. */
export function optBool(object: JsonObject, name: string, where: string): boolean | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw mismatch(value, `Go struct field ${where}.${name} of type bool`);
  return value;
}

/** A number field; undefined when absent or null. */
export function optNumber(object: JsonObject, name: string, where: string): number | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw mismatch(value, `Go struct field ${where}.${name} of type float32`);
  return value;
}

/** An integer field (Go int64); undefined when absent or null. */
export function optInteger(object: JsonObject, name: string, where: string): number | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw mismatch(value, `Go struct field ${where}.${name} of type int64`);
  }
  return value;
}
