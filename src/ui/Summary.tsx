/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import { formatClock } from '../guide/session-clock.ts';
import type { SessionState } from '../guide/session-state.ts';
import { STATUS_MARK, outcomeLine, stepDuration } from '../guide/summary.ts';
import { formatDuration } from '../report/format.ts';
import { STATUS_COLOR } from './theme.ts';

/** The end of a session: time to recover, each step's duration, skipped steps with reasons, notes, and where the journal is. */
export function Summary({ state, journalPath }: { state: SessionState; journalPath: string }) {
  const skipped = state.steps.filter((s) => s.status === 'skipped');
  const width = Math.max(...state.steps.map((s) => s.id.length));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold color={state.finished ? 'green' : 'yellow'}>{outcomeLine(state)}</Text>
      <Text bold>Summary</Text>
      {state.steps.map((s, i) => (
        <Text key={s.id} wrap="truncate-end">
          {'  '}<Text color={STATUS_COLOR[s.status]}>{STATUS_MARK[s.status]}</Text> {i + 1}. {s.id.padEnd(width)}  {s.status.padEnd(11)} {(s.attempts || s.manual ? formatDuration(stepDuration(s)) : '—').padStart(8)}{s.status === 'done' && s.by === 'operator' ? '  done by the operator' : ''}
        </Text>
      ))}
      {skipped.length > 0 && <Text bold>Skipped</Text>}
      {skipped.map((s) => (
        <Text key={s.id}>  {s.id}: {s.skipReason}</Text>
      ))}
      {state.notes.length > 0 && <Text bold>Notes</Text>}
      {state.notes.map((n, i) => (
        <Text key={i}>  +{formatClock(n.t)} {n.text}</Text>
      ))}
      <Text dimColor>Journal {journalPath} · `pgdrill report {journalPath}` writes the incident timeline as Markdown.</Text>
    </Box>
  );
}
