import { stepRunsItself, type RunbookStep, type StepCommand } from '../core/runbook.ts';

/** What a step will run, in one line as the operator sees it before it runs. */
export function commandText(command: StepCommand): string {
  if (command.kind === 'sql') return `SQL on ${command.database ?? '(database chosen by the step)'}: ${command.text}`;
  if (command.kind === 'shell') return `$ ${command.text}`;
  return command.text;
}

/** True when a step has nothing automatic at all: a person does it from its `manual` instructions. */
export function isManualOnly(step: RunbookStep): boolean {
  return !stepRunsItself(step) && Boolean(step.manual);
}

/** The runbook as plain lines: every step with its explanation and exactly what it would run (for --dry-run and for sessions without a terminal). */
export function describeStepLines(step: RunbookStep, index: number, total: number): string[] {
  const lines = [`step ${index + 1}/${total} ${step.id}: ${step.title}`, `  why: ${step.why}`, `  expect: ${step.expect}`];
  if (step.command) lines.push(`  runs: ${commandText(step.command)}`);
  else if (step.run) lines.push('  runs: an action written in the runbook (no command text given)');
  if (step.verify) lines.push(`  then verifies, polled until it holds (up to ${Math.round((step.timeoutMs ?? 60_000) / 1000)} s)`);
  if (step.manual) lines.push(`  ${isManualOnly(step) ? 'by hand' : 'by hand where pgdrill cannot act'}: ${step.manual}`);
  if (step.destructive) lines.push(`  DESTRUCTIVE: touches ${step.destructive.touches}; runs only after the operator types the target's name`);
  return lines;
}
