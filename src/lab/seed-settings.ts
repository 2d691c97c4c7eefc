/**
 * The server settings every pgdrill cluster runs with, whatever runs it (the
 * embedded lab's primary and replica, a container): the seed's connection
 * limits and timeouts, WAL kept for a replica and archived (where to is the
 * runner's: `archive_mode` on, `archive_command` its own), and the seed's
 * slow-query threshold.
 */
export const SEED_SERVER_SETTINGS: Readonly<Record<string, string | number>> = {
  max_connections: 100,
  superuser_reserved_connections: 3,
  statement_timeout: '30s',
  idle_in_transaction_session_timeout: '30s',
  wal_level: 'replica',
  // A standby does not archive with archive_mode = on; once promoted it archives its own WAL.
  archive_mode: 'on',
  archive_timeout: '60s',
  max_wal_senders: 10,
  wal_keep_size: '256MB',
  hot_standby: 'on',
  log_line_prefix: '%m [%p] %q%u@%d ',
  log_min_messages: 'warning',
  // The seed's slow-query threshold (section 7).
  log_min_duration_statement: '1s',
};
