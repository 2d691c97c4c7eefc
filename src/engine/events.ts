import type { StepStatus } from '../core/result.ts';

/**
 * What the runbook engine tells its subscribers (the terminal reporter, the
 * journal, later the Ink UI). Times are drill-clock milliseconds. The engine
 * only emits; it never renders.
 */
export type RunbookEvent =
  | { type: 'step-start'; at: number; stepId: string; title: string }
  | { type: 'step-output'; at: number; stepId: string; line: string }
  | { type: 'step-verify'; at: number; stepId: string; ok: boolean; detail: string }
  | { type: 'step-end'; at: number; stepId: string; status: StepStatus; durationMs: number; detail?: string };

/** A subscriber to runbook events. */
export type RunbookListener = (event: RunbookEvent) => void;
