import type { DrillResult } from '../core/result.ts';
import { formatDuration } from '../report/format.ts';
import type { HistoryEntry } from '../suite/history.ts';

/**
 * One line setting a game day's measured RTO beside the same scenario's
 * last unattended run in the history ("the robot recovered in 6.1 s, you
 * in 2 min 40 s"), or undefined when the history has none that recovered.
 */
export function compareWithRobot(gameDay: DrillResult, history: readonly HistoryEntry[]): string | undefined {
  const robot = [...history].reverse().find((e) => e.scenario === gameDay.scenario && e.variant === gameDay.variant && e.mode !== 'gameday' && e.rtoMs !== null);
  if (!robot || robot.rtoMs === null) return undefined;
  const you = gameDay.rtoMs === null ? 'you did not recover while observed' : `you in ${formatDuration(gameDay.rtoMs)}`;
  return `the robot recovered in ${formatDuration(robot.rtoMs)} (unattended, ${robot.at}); ${you}`;
}
