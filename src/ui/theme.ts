import type { GuideStepStatus } from '../guide/session-state.ts';

/** The colour of each step status (Ink colour names). */
export const STATUS_COLOR: Record<GuideStepStatus, string> = {
  pending: 'gray',
  running: 'yellow',
  manual: 'cyan',
  failed: 'red',
  interrupted: 'magenta',
  done: 'green',
  skipped: 'gray',
};
