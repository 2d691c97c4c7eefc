/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import type { GameDayView } from '../gameday/gameday-driver.ts';
import { formatDuration } from '../report/format.ts';
import { sparkline } from '../report/sparkline.ts';

/** Rows the service panel takes on screen. */
export const SERVICE_PANEL_ROWS = 5;

const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);

/**
 * A game day's live service panel, like a small dashboard: answers/s and
 * failures/s (with the last minute as sparklines), p50/p99 latency,
 * acknowledged writes, connections, time since the first failure, and the
 * alert once it fired. Renders the view; owns nothing.
 */
export function ServicePanel({ view, columns }: { view: GameDayView; columns: number }) {
  const s = view.stats;
  const width = Math.max(10, Math.min(60, columns - 34));
  const since = s?.firstFailureAt != null && view.alert ? formatDuration(view.now - s.firstFailureAt) : '–';
  return (
    <Box flexDirection="column" flexShrink={0} height={SERVICE_PANEL_ROWS}>
      <Text wrap="truncate-end">
        <Text bold>service</Text> answers <Text color="green">{s ? s.okPerSec.toFixed(0) : '–'}/s</Text> <Text color="green">{sparkline((s?.okSeries ?? []).slice(-width))}</Text>
      </Text>
      <Text wrap="truncate-end">
        {'        '}failures <Text color={s && s.failedPerSec > 0 ? 'red' : undefined}>{s ? s.failedPerSec.toFixed(0) : '–'}/s</Text> <Text color="red">{sparkline((s?.failedSeries ?? []).slice(-width))}</Text>
      </Text>
      <Text wrap="truncate-end">
        {'        '}p50 {ms(s?.p50Ms ?? null)} · p99 {ms(s?.p99Ms ?? null)} · acknowledged writes {s?.ackedWrites ?? 0} · connections {view.connections ? `${view.connections.used}/${view.connections.max}` : '–'} · since first failure {since}
      </Text>
      {view.alert ? (
        <Text wrap="truncate-end" color={view.alert.timedOut ? 'yellow' : 'red'} bold>
          ALERT {view.alert.reasons.join('; ')}
        </Text>
      ) : (
        <Text dimColor wrap="truncate-end">no alert: watching the service (the seed's thresholds: any failed request, p95 over 100 ms, connections over 80%)</Text>
      )}
      <Text dimColor>{'─'.repeat(Math.max(10, columns - 1))}</Text>
    </Box>
  );
}
