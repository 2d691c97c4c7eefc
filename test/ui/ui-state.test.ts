import { describe, expect, it } from 'vitest';
import type { NextAction } from '../../src/guide/session.ts';
import { INITIAL_UI, keyHints, reduceKey, splitInput, type KeyPress, type UiState } from '../../src/ui/ui-state.ts';

const view = (action: NextAction, extra: { destructive?: boolean; manual?: boolean } = {}) => ({ action, destructive: false, manual: false, ...extra });
const key = (input: string, extra: Partial<KeyPress> = {}): KeyPress => ({ input, ...extra });
const enter = key('', { return: true });

/** Presses keys in order against a fixed view; returns the final UI state and every command. */
function press(v: ReturnType<typeof view>, ...keys: KeyPress[]) {
  let ui: UiState = INITIAL_UI;
  const commands = [];
  for (const k of keys) {
    const r = reduceKey(ui, v, k);
    ui = r.ui;
    if (r.command) commands.push(r.command);
  }
  return { ui, commands };
}

describe('UI key reducer', () => {
  it('Enter runs a step, marks a manual step done, asks for the name on a destructive step', () => {
    expect(press(view('run'), enter).commands).toEqual([{ type: 'run' }]);
    expect(press(view('complete-manual'), enter).commands).toEqual([{ type: 'complete-manual' }]);
    const destructive = press(view('run', { destructive: true }), enter, key('lab:'), key('lab'), key('', { backspace: true }), key('b'), enter);
    expect(destructive.commands).toEqual([{ type: 'run', confirmation: 'lab:lab' }]);
  });

  it('s asks for a reason and will not skip without one; Esc cancels', () => {
    const noReason = press(view('run'), key('s'), enter);
    expect(noReason.commands).toEqual([]);
    expect(noReason.ui.prompt?.purpose).toBe('skip');
    expect(noReason.ui.message?.text).toMatch(/needs a reason/);
    expect(press(view('retry'), key('s'), key('not needed'), enter).commands).toEqual([{ type: 'skip', reason: 'not needed' }]);
    const cancelled = press(view('run'), key('s'), key('x'), key('', { escape: true }));
    expect(cancelled.ui.prompt).toBeUndefined();
    expect(cancelled.commands).toEqual([]);
  });

  it('r retries only a failed step (asking the name again for a destructive one)', () => {
    expect(press(view('retry'), key('r')).commands).toEqual([{ type: 'retry' }]);
    expect(press(view('retry', { destructive: true }), key('r')).ui.prompt?.purpose).toBe('confirm');
    const notFailed = press(view('run'), key('r'));
    expect(notFailed.commands).toEqual([]);
    expect(notFailed.ui.message?.text).toMatch(/retries a failed step/);
    expect(press(view('retry'), enter).ui.message?.text).toMatch(/r retries it, s skips it/);
  });

  it('n adds a note at any time, even while a step runs; typed keys go to the prompt, not to commands', () => {
    expect(press(view('busy'), key('n'), key('q'), key('s'), key('r'), enter).commands).toEqual([{ type: 'note', text: 'qsr' }]);
  });

  it('Q quits and discards the side clusters; not while a step runs', () => {
    expect(press(view('run'), key('Q')).commands).toEqual([{ type: 'quit', discard: true }]);
    expect(press(view('retry'), key('Q')).commands).toEqual([{ type: 'quit', discard: true }]);
    const busy = press(view('busy'), key('Q'));
    expect(busy.commands).toEqual([]);
    expect(busy.ui.message?.text).toMatch(/wait for it, or press q to interrupt it/);
  });

  it('q quits, but asks again while a step runs; Ctrl-C interrupts at once', () => {
    expect(press(view('run'), key('q')).commands).toEqual([{ type: 'quit' }]);
    const once = press(view('busy'), key('q'));
    expect(once.commands).toEqual([]);
    expect(once.ui.confirmQuit).toBe(true);
    expect(press(view('busy'), key('q'), key('q')).commands).toEqual([{ type: 'quit' }]);
    expect(press(view('busy'), key('q'), key('x')).commands).toEqual([]);
    expect(press(view('busy'), key('n'), key('c', { ctrl: true })).commands).toEqual([{ type: 'interrupt' }]);
    expect(press(view('finished'), key('q')).commands).toEqual([{ type: 'exit' }]);
    expect(press(view('finished'), enter).commands).toEqual([{ type: 'exit' }]);
  });

  it('? toggles the help; an unknown key says to press ?', () => {
    const help = press(view('run'), key('?'));
    expect(help.ui.help).toBe(true);
    expect(keyHints(help.ui, view('run'))).toMatch(/any key closes/);
    expect(press(view('run'), key('?'), key('q')).commands).toEqual([]);
    expect(press(view('run'), key('x')).ui.message?.text).toMatch(/press \? for the keys/);
  });

  it('always has a keys line, naming the keys that act now', () => {
    expect(keyHints(INITIAL_UI, view('run'))).toBe('Enter run step · s skip · n note · ? keys · q quit');
    expect(keyHints(INITIAL_UI, view('retry'))).toMatch(/^r retry · s skip/);
    expect(keyHints(INITIAL_UI, view('complete-manual'))).toMatch(/^Enter mark done/);
    expect(keyHints(INITIAL_UI, view('busy'))).toMatch(/q interrupt and quit/);
    expect(keyHints({ ...INITIAL_UI, prompt: { purpose: 'confirm', text: '' } }, view('run'))).toMatch(/Enter confirm and run · Esc cancel/);
  });

  it('splits keys that arrive in one chunk (typed fast, pasted, sent by tmux) into single presses', () => {
    expect(splitInput(key('sno service\r'))).toEqual([key('s'), key('n'), key('o'), key(' '), key('s'), key('e'), key('r'), key('v'), key('i'), key('c'), key('e'), { input: '', return: true }]);
    expect(splitInput(key('ab\u007f'))).toEqual([key('a'), key('b'), { input: '', backspace: true }]);
    expect(splitInput(key('q'))).toEqual([key('q')]);
    expect(splitInput(key('\u001b[A'))).toEqual([key('\u001b[A')]);
    const chunk = press(view('run'), ...splitInput(key('sreason here\r')));
    expect(chunk.commands).toEqual([{ type: 'skip', reason: 'reason here' }]);
  });
});
