import { InvalidArgumentError } from 'commander';
import ms from 'ms';

/** Parses a duration flag ("300ms", "5s", "2m", or plain milliseconds) into ms. */
export function parseDuration(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : ms(value as ms.StringValue);
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`"${value}" is not a duration; use forms like 500ms, 5s, 2m or 1h.`);
  }
  return Math.round(n);
}

/** Parses a positive whole number flag. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive whole number.`);
  return n;
}

/** Parses a TCP port flag (1-65535). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (a whole number from 1 to 65535).`);
  return n;
}
