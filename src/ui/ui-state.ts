import type { NextAction } from '../guide/session.ts';

/** What a prompt line is collecting: a skip reason, a note, or the typed name a destructive step needs. */
export type PromptPurpose = 'skip' | 'note' | 'confirm';

/**
 * The UI's own state, apart from the session's: the help panel, an open
 * prompt and its text, whether a second `q` interrupts a running step, and
 * the one-line message under the step. Pure data; `reduceKey` is its reducer.
 */
export interface UiState {
  help: boolean;
  prompt?: { purpose: PromptPurpose; text: string };
  confirmQuit: boolean;
  message?: { text: string; tone: 'info' | 'warn' | 'error' };
}

/** The UI before any key: no help, no prompt, no message. */
export const INITIAL_UI: UiState = { help: false, confirmQuit: false };

/** What the keys act on: the session's next action for the current step, and what kind of step it is. */
export interface KeyView {
  action: NextAction;
  destructive: boolean;
  manual: boolean;
}

/** A key press as Ink reports it (the fields the UI uses). */
export interface KeyPress {
  input: string;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/**
 * What the operator asked for, for the component to call on the session:
 * `quit` ends the session resumably (q; with `discard`, Q: the side
 * clusters its steps restored are stopped and removed, so it is no longer
 * resumable from them), `interrupt` ends it as interrupted
 * (Ctrl-C), `exit` leaves a session that already ended or finished.
 */
export type UiCommand =
  | { type: 'run'; confirmation?: string }
  | { type: 'complete-manual' }
  | { type: 'retry' }
  | { type: 'skip'; reason: string }
  | { type: 'note'; text: string }
  | { type: 'quit'; discard?: boolean }
  | { type: 'interrupt' }
  | { type: 'exit' };

const info = (text: string): UiState['message'] => ({ text, tone: 'info' });
const warn = (text: string): UiState['message'] => ({ text, tone: 'warn' });

function printable(input: string): string {
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\u0000-\u001f\u007f]/g, '');
}

function promptKey(ui: UiState, prompt: NonNullable<UiState['prompt']>, key: KeyPress): { ui: UiState; command?: UiCommand } {
  const base: UiState = { ...ui };
  delete base.prompt;
  delete base.message;
  if (key.escape) return { ui: { ...base, message: info('Cancelled.') } };
  if (key.return) {
    const text = prompt.text.trim();
    if (prompt.purpose === 'skip') {
      if (!text) return { ui: { ...ui, message: warn('A skipped step needs a reason (it goes into the journal and the report). Esc cancels.') } };
      return { ui: base, command: { type: 'skip', reason: text } };
    }
    if (prompt.purpose === 'note') return text ? { ui: base, command: { type: 'note', text } } : { ui: { ...base, message: info('Empty note: nothing added.') } };
    return { ui: base, command: { type: 'run', confirmation: text } };
  }
  if (key.backspace || key.delete) return { ui: { ...ui, prompt: { ...prompt, text: prompt.text.slice(0, -1) } } };
  if (key.ctrl || key.meta) return { ui };
  const added = printable(key.input);
  return added ? { ui: { ...ui, prompt: { ...prompt, text: prompt.text + added } } } : { ui };
}

/**
 * The UI's reducer: the state after one key press, and the command it asks
 * of the session, if any. Keys: Enter runs the current step (or marks a
 * manual step done; a destructive step first asks for the typed name), `s`
 * skips (asks for a reason), `r` retries a failed step, `n` adds a note, `?`
 * shows the keys, `q` quits (twice while a step runs), Ctrl-C interrupts and
 * quits at once. While a prompt is open, keys type into it; Enter submits,
 * Esc cancels.
 */
export function reduceKey(ui: UiState, view: KeyView, key: KeyPress): { ui: UiState; command?: UiCommand } {
  if (key.ctrl && key.input === 'c') return { ui: INITIAL_UI, command: { type: 'interrupt' } };
  if (ui.prompt) return promptKey(ui, ui.prompt, key);
  const base: UiState = { ...ui, help: false, confirmQuit: false };
  delete base.message;
  if (ui.help) return { ui: base };
  if (ui.confirmQuit) {
    if (key.input === 'q') return { ui: base, command: { type: 'quit' } };
    return { ui: { ...base, message: info('The step keeps running.') } };
  }
  const over = view.action === 'finished' || view.action === 'ended';
  const open = (purpose: PromptPurpose): UiState => ({ ...base, prompt: { purpose, text: '' } });

  if (key.return) {
    switch (view.action) {
      case 'run': return view.destructive ? { ui: open('confirm') } : { ui: base, command: { type: 'run' } };
      case 'complete-manual': return { ui: base, command: { type: 'complete-manual' } };
      case 'refused': return { ui: base, command: { type: 'run' } };
      case 'retry': return { ui: { ...base, message: warn('This step failed: r retries it, s skips it with a reason, q quits.') } };
      case 'busy': return { ui: { ...base, message: info('A step is running: wait for it, or press q to interrupt it.') } };
      default: return { ui: base, command: { type: 'exit' } };
    }
  }
  switch (key.input) {
    case '?': return { ui: { ...base, help: true } };
    case 'n': return { ui: open('note') };
    case 'q':
      if (view.action === 'busy') return { ui: { ...base, confirmQuit: true, message: warn('A step is running. Press q again to interrupt it and quit (the journal is kept), any other key to let it run.') } };
      return { ui: base, command: over ? { type: 'exit' } : { type: 'quit' } };
    case 'Q':
      if (view.action === 'busy') return { ui: { ...base, message: info('A step is running: wait for it, or press q to interrupt it, before quitting with Q.') } };
      return { ui: base, command: over ? { type: 'exit' } : { type: 'quit', discard: true } };
    case 'r':
      if (view.action === 'retry') return view.destructive && !view.manual ? { ui: open('confirm') } : { ui: base, command: { type: 'retry' } };
      if (view.action === 'refused') return { ui: base, command: { type: 'run' } };
      return { ui: { ...base, message: info('r retries a failed step; this one has not failed.') } };
    case 's':
      if (view.action === 'busy') return { ui: { ...base, message: info('A step is running: wait for it, or press q to interrupt it before skipping.') } };
      if (over) return { ui: { ...base, message: info('Every step is done or skipped.') } };
      return { ui: open('skip') };
    default:
      if (printable(key.input) && !key.ctrl && !key.meta) return { ui: { ...base, message: info(`"${key.input}" is not a key here: press ? for the keys.`) } };
      return { ui: base };
  }
}

/** The bottom line: the keys that do something now. Always shown. */
export function keyHints(ui: UiState, view: KeyView): string {
  if (ui.prompt?.purpose === 'skip') return 'type the reason · Enter skip the step · Esc cancel';
  if (ui.prompt?.purpose === 'note') return 'type the note · Enter add it to the timeline · Esc cancel';
  if (ui.prompt?.purpose === 'confirm') return 'type the name · Enter confirm and run · Esc cancel';
  if (ui.help) return 'any key closes the help';
  if (ui.confirmQuit) return 'q interrupt the step and quit · any other key lets it run';
  const tail = 'n note · ? keys · q quit';
  switch (view.action) {
    case 'run': return `Enter run step · s skip · ${tail}`;
    case 'retry': return `r retry · s skip · ${tail}`;
    case 'complete-manual': return `Enter mark done · s skip · ${tail}`;
    case 'refused': return `Enter why refused · s skip · ${tail}`;
    case 'busy': return 'n note · ? keys · q interrupt and quit';
    default: return 'Enter exit · n note · ? keys · q exit';
  }
}

/** Every key, for the help panel. */
export const HELP_LINES: ReadonlyArray<[string, string]> = [
  ['Enter', 'run the current step; on a manual step, mark it done after you did it'],
  ['s', 'skip the current step (asks for a reason, kept in the journal and the report)'],
  ['r', 'retry a failed step'],
  ['n', 'add a note to the incident timeline (any time)'],
  ['?', 'show or hide these keys'],
  ['q', 'quit: the journal is kept; continue later with --resume (twice while a step runs)'],
  ['Q', 'quit and discard: stop and remove the side clusters this session restored (the journal is kept)'],
  ['Ctrl-C', 'interrupt a running step and quit at once'],
  ['Esc', 'cancel a prompt'],
];

/**
 * One key press per character of a multi-character input. Keys typed
 * quickly (or pasted, or sent by tmux) can reach the UI as one chunk such as
 * "sno service here\r"; each character is a key, Enter and Backspace
 * included. Escape sequences (arrows) and single keys pass through as they
 * are.
 */
export function splitInput(key: KeyPress): KeyPress[] {
  const input = key.input;
  if (input.length <= 1 || key.ctrl || key.meta || input.includes('\u001b')) return [key];
  return [...input].map((c): KeyPress => {
    if (c === '\r' || c === '\n') return { input: '', return: true };
    if (c === '\u007f' || c === '\b') return { input: '', backspace: true };
    if (c === '\u0003') return { input: 'c', ctrl: true };
    return { input: c };
  });
}
