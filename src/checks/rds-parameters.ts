import type { Verdict } from './check.ts';
import { defineCheck, listSome } from './check.ts';
import { gucMs, showMs } from './guc.ts';
import { rdsFacts, readable } from './rds-facts.ts';

/** The parameter group and the four settings the seed names (null: not set in the group, the engine default). */
export interface RdsParameterFacts {
  group: string;
  maxConnections: string | null;
  statementTimeout: string | null;
  idleInTransactionTimeout: string | null;
  logMinDurationStatement: string | null;
}

/** `rds-parameters`: the parameter group sets statement and idle-in-transaction timeouts, slow-query logging and max_connections. */
export const rdsParametersCheck = defineCheck<RdsParameterFacts>({
  id: 'rds-parameters',
  group: 'connections',
  title: 'RDS parameter group settings',
  seedSection: '3. Connection Management; 9. Monitoring (slow queries)',
  expected: 'statement_timeout and idle_in_transaction_session_timeout set (> 0), log_min_duration_statement >= 0, max_connections set',
  async read(ctx) {
    const p = readable(rdsFacts(ctx).parameters);
    const v = (name: string) => p.values[name] ?? null;
    return { group: p.group, maxConnections: v('max_connections'), statementTimeout: v('statement_timeout'), idleInTransactionTimeout: v('idle_in_transaction_session_timeout'), logMinDurationStatement: v('log_min_duration_statement') };
  },
  judge(f) {
    const bad: string[] = [];
    const soft: string[] = [];
    const good: string[] = [];
    const timeout = (name: string, value: string | null) => {
      const ms = value === null ? undefined : gucMs(value);
      if (!ms) bad.push(`${name} ${value === null ? 'not set (default 0: no limit)' : `= ${value} (no limit)`}`);
      else good.push(`${name} ${showMs(ms)}`);
    };
    timeout('statement_timeout', f.statementTimeout);
    timeout('idle_in_transaction_session_timeout', f.idleInTransactionTimeout);
    if (f.logMinDurationStatement === null || Number(f.logMinDurationStatement) < 0) bad.push('log_min_duration_statement off (-1): slow queries are not logged');
    else good.push(`log_min_duration_statement ${showMs(gucMs(f.logMinDurationStatement) ?? 0)}`);
    if (f.maxConnections === null) soft.push('max_connections not set (RDS derives it from the instance memory: LEAST({DBInstanceClassMemory/9531392},5000))');
    else good.push(`max_connections ${f.maxConnections}`);
    const set = (name: string, value: string) => `ParameterName=${name},ParameterValue=${value},ApplyMethod=immediate`;
    const fix = `aws rds modify-db-parameter-group --db-parameter-group-name ${f.group} --parameters ${set('statement_timeout', '30000')} ${set('idle_in_transaction_session_timeout', '60000')} ${set('log_min_duration_statement', '1000')}`;
    const found = `${f.group}: ${listSome([...bad, ...soft, ...good], 6)}`;
    const verdict: Verdict = bad.length ? { status: 'fail', found, fix } : soft.length ? { status: 'warn', found, fix: 'set max_connections explicitly in the parameter group, sized for the services\' pools plus headroom' } : { status: 'pass', found };
    return verdict;
  },
});
