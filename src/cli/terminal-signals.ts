/**
 * Holds the signals of a session at a terminal (guide, game day) for its
 * whole length: SIGHUP (a lost SSH connection) calls `onHangup`; SIGINT and
 * SIGTERM are left to the cleanup stack (src/util/cleanup.ts), but a
 * listener stays registered for each, because Ink's signal-exit re-raises a
 * signal at once when it believes no one else listens for it. Writes to a
 * terminal that is gone fail; they are ignored (the journal, not the
 * screen, is the record). Returns the release, which is idempotent.
 */
export function holdTerminalSignals(onHangup: () => void): () => void {
  const keepListening = () => {};
  process.on('SIGHUP', onHangup);
  process.on('SIGINT', keepListening);
  process.on('SIGTERM', keepListening);
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  return () => {
    process.removeListener('SIGHUP', onHangup);
    process.removeListener('SIGINT', keepListening);
    process.removeListener('SIGTERM', keepListening);
  };
}
