import { timeoutCheck } from './timeout-setting.ts';

/** `statement-timeout`: every service role's statement_timeout is set and at most 30 s. */
export const statementTimeoutCheck = timeoutCheck('statement-timeout', 'statement_timeout', 'Statement timeout for service roles');
