/**
 * One request of the load, as the timeline records it. Times are `DrillClock`
 * milliseconds. `ok` means the service answered as it should (2xx); anything
 * else (an error status, a refused or reset connection, a timeout) is a
 * failure.
 */
export interface RequestRecord {
  kind: 'write' | 'read';
  sentAt: number;
  endAt: number;
  ok: boolean;
  /** HTTP status, or null when no response came. */
  status: number | null;
  /** Why it failed without a status (timeout, ECONNRESET, ...). */
  error?: string;
  /** The payment id written, or read. */
  id?: string;
}

/** A write the load saw acknowledged (HTTP 201 after COMMIT): the ledger's unit. */
export interface LedgerEntry {
  id: string;
  ackedAt: number;
}

/** A harness event on the timeline: the fault, each runbook step, checks. */
export interface TimelineEvent {
  at: number;
  kind: 'fault-injected' | 'fault-reverted' | 'step-start' | 'step-end' | 'recovered' | 'load-start' | 'load-stop' | 'note';
  label: string;
}
