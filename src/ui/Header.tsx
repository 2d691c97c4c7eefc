/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import { formatClock } from '../guide/session-clock.ts';
import type { SessionState } from '../guide/session-state.ts';

/** The top two lines: runbook, target and the incident clock (always visible); operator and journal. */
export function Header({ state, now, journalPath }: { state: SessionState; now: number; journalPath: string }) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Box justifyContent="space-between">
        <Text wrap="truncate-end">
          <Text bold>pgdrill guide</Text> · {state.runbook.title} · target <Text bold>{state.target.name}</Text>
        </Text>
        <Text bold color="yellow"> incident clock {formatClock(now)}</Text>
      </Box>
      <Text dimColor wrap="truncate-middle">
        operator {state.operator}@{state.host} · journal {journalPath}
      </Text>
    </Box>
  );
}
