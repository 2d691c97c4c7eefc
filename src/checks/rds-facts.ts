import type { DBInstance } from '@aws-sdk/client-rds';
import { isUnreadable, type RdsCheckFacts, type Unreadable } from '../rds/check-facts.ts';
import { CheckSkipped } from './check.ts';
import type { CheckContext } from './context.ts';

/** The RDS facts of the context; a check run without `--rds` skips. */
export function rdsFacts(ctx: CheckContext): RdsCheckFacts {
  if (!ctx.rds) throw new CheckSkipped('no RDS instance given (check --rds <id>)');
  return ctx.rds;
}

/** The instance of the context (see `rdsFacts`). */
export function rdsInstance(ctx: CheckContext): DBInstance {
  return rdsFacts(ctx).instance;
}

/** A part of the RDS facts, or a skip with the reason it could not be read. */
export function readable<T>(value: T | Unreadable): T {
  if (isUnreadable(value)) throw new CheckSkipped(value.unreadable);
  return value;
}
