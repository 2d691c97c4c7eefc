import type { DrillResult } from '../core/result.ts';
import type { DrillRecord } from '../engine/drill.ts';
import type { TimelineEvent } from '../measure/timeline.ts';
import { binTimeline, chartBinMs, chartOrigin, type ChartBin } from '../report/html-report.ts';

/**
 * What a game day's journal keeps of its measurements (the `result`
 * record's `data`): the result, and the chart of the service over the game
 * day as bins (not every request), with its events, on the drill clock.
 */
export interface GameDayRecordData {
  result: DrillResult;
  chart: { originMs: number; binSeconds: number; bins: ChartBin[]; events: TimelineEvent[] } | null;
}

/** The journal's record of a finished game day. */
export function gameDayRecordData(result: DrillResult, record: DrillRecord): GameDayRecordData {
  const timeline = record.load?.timeline;
  if (!timeline || timeline.length === 0) return { result, chart: null };
  const originMs = chartOrigin(record.events);
  const binMs = chartBinMs(timeline.lastEndAt() - originMs);
  return { result, chart: { originMs, binSeconds: binMs / 1000, bins: binTimeline(timeline, originMs, binMs), events: record.events } };
}

/** Reads a journal record's `data` back as game-day data, or undefined when it is not one. */
export function asGameDayRecordData(data: unknown): GameDayRecordData | undefined {
  const d = data as Partial<GameDayRecordData> | undefined;
  return d && typeof d === 'object' && d.result && typeof d.result.scenario === 'string' ? (d as GameDayRecordData) : undefined;
}
