import type { LedgerEntry } from './timeline.ts';

/** The ledger reconciled against what the database holds after recovery. */
export interface DataLossMeasure {
  /** Writes the load saw acknowledged. */
  ackedWrites: number;
  /** Acknowledged writes missing from the database: lost. */
  lostWrites: number;
  /** Ids of the lost writes, earliest acknowledgement first. */
  lostIds: string[];
  /**
   * The loss window: from the earliest lost acknowledgement to t0, or to the
   * latest lost acknowledgement when that came after t0; 0 when nothing
   * acknowledged was lost.
   */
  rpoMs: number;
  /** Writes that were sent but never acknowledged, yet are present: not losses, counted apart. */
  unackedPresent: number;
}

/** Whether the database holds a payment id after recovery (a `Set` of the present ids will do). */
export interface PresentIds {
  has(id: string): boolean;
}

/**
 * Reconciles the ledger: `presentIds` says which ids (out of every attempted
 * write) the database holds after recovery.
 */
export function measureDataLoss(
  ledger: readonly LedgerEntry[],
  attemptedIds: Iterable<string>,
  presentIds: PresentIds,
  t0: number,
): DataLossMeasure {
  const acked = new Set(ledger.map((e) => e.id));
  const lost = ledger.filter((e) => !presentIds.has(e.id)).sort((a, b) => a.ackedAt - b.ackedAt);
  let unackedPresent = 0;
  for (const id of new Set(attemptedIds)) if (!acked.has(id) && presentIds.has(id)) unackedPresent++;
  const rpoMs = lost.length === 0 ? 0 : Math.max(t0, lost[lost.length - 1]!.ackedAt) - lost[0]!.ackedAt;
  return { ackedWrites: acked.size, lostWrites: lost.length, lostIds: lost.map((e) => e.id), rpoMs, unackedPresent };
}
