/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import type { RunbookStep } from '../core/runbook.ts';
import type { GuideStepState } from '../guide/session-state.ts';
import { stepDuration } from '../guide/summary.ts';
import { commandText } from '../guide/step-text.ts';
import { formatDuration } from '../report/format.ts';
import { wrappedHeight } from './layout.ts';
import { STATUS_COLOR } from './theme.ts';

/** What the detail pane needs to say about the current step. */
export interface StepDetailProps {
  step: RunbookStep;
  view: GuideStepState;
  index: number;
  total: number;
  now: number;
  /** The name a destructive step asks the operator to type. */
  confirmation?: { expected: string; touches: string };
  refusal?: string;
  /** Rows the pane may use, and the screen width. */
  rows: number;
  columns: number;
}

function Field({ label, children, color }: { label: string; children: string; color?: string }) {
  return (
    <Box>
      <Box width={9} flexShrink={0}>
        <Text bold color={color}>{label}</Text>
      </Box>
      <Text color={color}>{children}</Text>
    </Box>
  );
}

function stateLine(view: GuideStepState, now: number): string {
  const attempt = view.attempts > 1 ? `, attempt ${view.attempts}` : '';
  switch (view.status) {
    case 'pending': return 'not started: Enter runs it';
    case 'running': return `running for ${formatDuration(stepDuration(view, now))}${attempt}`;
    case 'manual': return 'waiting for you: do it by hand, then press Enter';
    case 'failed': return `failed${attempt}: r retries, s skips with a reason, q quits`;
    case 'interrupted': return 'interrupted: it did not finish; Enter runs it again';
    default: return view.status;
  }
}

/**
 * The current step, before, while and after it runs: why it matters, what to
 * expect, exactly what it will run (shown before it runs), what a
 * destructive step touches and the name to type, manual instructions, the
 * live output (the last lines that fit; the journal has all of it), the
 * verification, and why it failed.
 */
export function StepDetail(props: StepDetailProps) {
  const { step, view, index, total, now, confirmation, refusal, rows, columns } = props;
  const textWidth = columns - 9;
  const fields: Array<{ label: string; text: string; color?: string }> = [
    { label: 'Why', text: step.why },
    { label: 'Expect', text: step.expect },
  ];
  if (view.status === 'manual' || (step.manual && !step.run && !step.command)) {
    if (view.manualReason) fields.push({ label: 'Manual', text: view.manualReason, color: 'cyan' });
    fields.push({ label: 'Do', text: step.manual ?? '', color: 'cyan' });
    if (step.verify) fields.push({ label: 'Then', text: 'pgdrill checks it when you press Enter (where it can check it here).' });
  } else if (step.command) {
    fields.push({ label: 'Runs', text: commandText(step.command) });
  } else if (step.run) {
    fields.push({ label: 'Runs', text: 'an action written in the runbook (no command text given)' });
  }
  if (step.verify && view.status !== 'manual') fields.push({ label: 'Gate', text: `then verifies, polled until it holds (up to ${formatDuration(step.timeoutMs ?? 60_000)}); the next step waits for it` });
  if (step.manual && view.status !== 'manual' && (step.run || step.command)) fields.push({ label: 'By hand', text: `where pgdrill cannot act: ${step.manual}` });
  if (refusal) fields.push({ label: 'Refused', text: refusal, color: 'red' });
  else if (confirmation && !view.manual) fields.push({ label: 'DANGER', text: `destructive: touches ${confirmation.touches}. It runs only after you type the target name ${confirmation.expected}.`, color: 'red' });
  if (view.verification) fields.push({ label: view.verification.ok ? 'Verified' : 'Not yet', text: view.verification.detail, color: view.verification.ok ? 'green' : 'yellow' });
  if (view.detail && (view.status === 'failed' || view.status === 'interrupted')) fields.push({ label: view.status === 'failed' ? 'Failed' : 'Stopped', text: view.detail, color: STATUS_COLOR[view.status] });

  const used = 2 + fields.reduce((n, f) => n + wrappedHeight(f.text, textWidth), 0) + 1;
  const outputRows = Math.max(0, rows - used);
  const shown = view.output.slice(-Math.max(1, outputRows));
  const hidden = view.outputLines - shown.length;

  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="truncate-end">
        <Text bold>Step {index + 1} of {total}: {step.title}</Text>
        <Text color={STATUS_COLOR[view.status]}>  [{stateLine(view, now)}]</Text>
      </Text>
      {fields.map((f) => (
        <Field key={f.label} label={f.label} color={f.color}>{f.text}</Field>
      ))}
      {view.outputLines > 0 && outputRows > 0 && (
        <Box flexDirection="column">
          <Text dimColor>Output{hidden > 0 ? ` (last ${shown.length} of ${view.outputLines} lines; all of them are in the journal)` : ''}</Text>
          {shown.map((line, i) => (
            <Text key={i} wrap="truncate-end">  │ {line}</Text>
          ))}
        </Box>
      )}
    </Box>
  );
}
