/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import type { SessionState } from '../guide/session-state.ts';
import { STATUS_MARK, stepDuration } from '../guide/summary.ts';
import { formatDuration } from '../report/format.ts';
import { STATUS_COLOR } from './theme.ts';

/** Every step of the runbook, one line each: mark, number, id, status, duration (live for the step in hand), title. */
export function StepList({ state, now }: { state: SessionState; now: number }) {
  const width = Math.max(...state.steps.map((s) => s.id.length));
  return (
    <Box flexDirection="column" flexShrink={0} marginTop={1}>
      {state.steps.map((step, i) => {
        const current = i === state.current && !state.finished;
        const duration = step.attempts > 0 || step.manual ? formatDuration(stepDuration(step, now)) : '';
        return (
          <Text key={step.id} wrap="truncate-end" bold={current}>
            {current ? '›' : ' '} <Text color={STATUS_COLOR[step.status]}>{STATUS_MARK[step.status]} {step.status.padEnd(11)}</Text> {String(i + 1).padStart(2)}. {step.id.padEnd(width)}  {duration.padStart(8)}  <Text dimColor={!current}>{step.title}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
