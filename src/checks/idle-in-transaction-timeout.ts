import { timeoutCheck } from './timeout-setting.ts';

/** `idle-in-transaction-timeout`: every service role's idle_in_transaction_session_timeout is set and at most 30 s. */
export const idleInTransactionTimeoutCheck = timeoutCheck('idle-in-transaction-timeout', 'idle_in_transaction_session_timeout', 'Idle-in-transaction timeout for service roles');
