/** @jsxRuntime automatic @jsxImportSource react */
import { Box, useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type ReactElement } from 'react';
import type { CommandResult, GuideController } from '../guide/session.ts';
import { formatDuration } from '../report/format.ts';
import { Header } from './Header.tsx';
import { HelpPanel } from './HelpPanel.tsx';
import { KeyBar } from './KeyBar.tsx';
import { StepDetail } from './StepDetail.tsx';
import { StepList } from './StepList.tsx';
import { Summary } from './Summary.tsx';
import { INITIAL_UI, keyHints, reduceKey, splitInput, type KeyView, type UiCommand, type UiState } from './ui-state.ts';

/** How the UI ended: the session finished, the operator quit (q) or interrupted (Ctrl-C), or something broke. */
export type UiExit = { kind: 'finished' | 'interrupted' } | { kind: 'quit'; discard?: boolean } | { kind: 'error'; error: unknown };

/** What the guided UI renders and calls back. */
export interface GuideAppProps {
  session: GuideController;
  onExit: (exit: UiExit) => void;
  /** How often the incident clock redraws (ms); default 1000. */
  tickMs?: number;
  /** A first message under the step (e.g. what a resume found). */
  initialMessage?: string;
  /** Terminal rows kept for something drawn above the guide (a game day's service panel). */
  reservedRows?: number;
}

const PROMPT_LABEL = { skip: 'Reason for skipping:', note: 'Note:', confirm: 'Type the name to confirm:' } as const;

/**
 * The guided recovery screen. It renders the session's state and turns keys
 * into calls on the session; it owns only what is on screen (prompt, help,
 * message). Everything it shows about the recovery comes from the session.
 */
export function GuideApp({ session, onExit, tickMs = 1000, initialMessage, reservedRows = 0 }: GuideAppProps) {
  const subscribe = useCallback((notify: () => void) => session.subscribe(() => notify()), [session]);
  const state = useSyncExternalStore(subscribe, () => session.state);
  const [ui, setUi] = useState<UiState>(initialMessage ? { ...INITIAL_UI, message: { text: initialMessage, tone: 'warn' } } : INITIAL_UI);
  const uiRef = useRef(ui);
  uiRef.current = ui;
  const [, setTick] = useState(0);
  const { stdout } = useStdout();
  const app = useApp();
  const exited = useRef(false);

  // The outcome of the step just left behind stays on the message line while the next one is read.
  useEffect(() => session.subscribe((_, record) => {
    let text: string | undefined;
    if (record.type === 'step-end' && record.status === 'done') {
      const view = session.state.steps.find((s) => s.id === record.stepId);
      const seen = record.detail ?? view?.output.at(-1);
      text = `✓ ${record.stepId} done${record.by === 'operator' ? ' by the operator' : ''} in ${formatDuration(record.durationMs)}${seen ? `: ${seen}` : ''}`;
    } else if (record.type === 'step-skip') {
      text = `↷ ${record.stepId} skipped: ${record.reason}`;
    } else if (record.type === 'note') {
      text = `Note added to the timeline: ${record.text}`;
    }
    if (text) setUi((u) => ({ ...u, message: { text: text!, tone: 'info' } }));
  }), [session]);

  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), tickMs);
    return () => clearInterval(timer);
  }, [tickMs]);

  const [closed, setClosed] = useState(false);
  const leave = useCallback((exit: UiExit) => {
    if (exited.current) return;
    exited.current = true;
    setClosed(true);
    onExit(exit);
    // Let the last frame (the summary, the key bar saying the session closed) render before leaving.
    setTimeout(() => app.exit(), 0);
  }, [app, onExit]);

  const show = useCallback((result: CommandResult) => {
    if (!result.ok && result.message) setUi((u) => ({ ...u, message: { text: result.message!, tone: 'error' } }));
  }, []);
  const fail = useCallback((error: unknown) => leave({ kind: 'error', error }), [leave]);

  const step = session.runbook.steps[state.current];
  const view = state.steps[state.current];
  // Read live, not from this render: several keys can arrive at once, and each may change the session.
  const keyViewNow = (): KeyView => {
    const s = session.state;
    return { action: session.nextAction(), destructive: Boolean(session.runbook.steps[s.current]?.destructive), manual: Boolean(s.steps[s.current]?.manual) };
  };
  const keyView = keyViewNow();

  const dispatch = (command: UiCommand) => {
    switch (command.type) {
      case 'run':
        session.run(command.confirmation).then(show, fail);
        break;
      case 'complete-manual':
        session.completeManual().then(show, fail);
        break;
      case 'retry':
        (keyViewNow().manual ? session.completeManual() : session.run()).then(show, fail);
        break;
      case 'skip':
        show(session.skip(command.reason));
        break;
      case 'note':
        show(session.note(command.text));
        break;
      case 'quit':
        // A step that is slow to stop (it has up to its grace period) must not look like a frozen screen.
        if (session.nextAction() === 'busy') setUi((u) => ({ ...u, message: { text: 'Stopping the running step (its processes and queries), then quitting…', tone: 'warn' } }));
        if (command.discard) session.end('quit', 'the operator quit and discarded the side clusters (Q)').then(() => leave({ kind: 'quit', discard: true }), fail);
        else session.end('quit', 'the operator quit').then(() => leave({ kind: 'quit' }), fail);
        break;
      case 'interrupt':
        session.end('interrupted', 'the operator pressed Ctrl-C').then(() => leave({ kind: 'interrupted' }), fail);
        break;
      case 'exit':
        leave({ kind: state.finished ? 'finished' : 'quit' });
        break;
    }
  };

  useInput((input, key) => {
    for (const press of splitInput({ input, return: key.return, escape: key.escape, backspace: key.backspace, delete: key.delete, ctrl: key.ctrl, meta: key.meta })) {
      if (exited.current) return;
      const { ui: next, command } = reduceKey(uiRef.current, keyViewNow(), press);
      uiRef.current = next;
      setUi(next);
      if (command) dispatch(command);
    }
  });

  const rows = Math.max(12, (stdout.rows || 30) - 1 - reservedRows);
  const columns = Math.max(40, stdout.columns || 100);
  const now = session.now();
  const confirmation = session.confirmationFor();
  const refusal = session.refusalFor();
  const promptLabel = ui.prompt ? (ui.prompt.purpose === 'confirm' && confirmation ? `Type ${confirmation.expected} to run this destructive step:` : PROMPT_LABEL[ui.prompt.purpose]) : undefined;
  const bodyRows = rows - 2 - (state.steps.length + 1) - 2;

  let body: ReactElement;
  if (ui.help) body = <HelpPanel />;
  else if (state.finished || state.ended || !step || !view) body = <Summary state={state} journalPath={session.journalPath} />;
  else {
    body = (
      <StepDetail
        step={step}
        view={view}
        index={state.current}
        total={state.steps.length}
        now={now}
        rows={bodyRows - 1}
        columns={columns}
        {...(confirmation ? { confirmation } : {})}
        {...(refusal ? { refusal } : {})}
      />
    );
  }

  return (
    <Box flexDirection="column" height={rows} width={columns}>
      <Header state={state} now={now} journalPath={session.journalPath} />
      <StepList state={state} now={now} />
      <Box flexDirection="column" flexGrow={1} flexShrink={1} overflowY="hidden">
        {body}
      </Box>
      <KeyBar ui={closed ? { ...INITIAL_UI, ...(ui.message ? { message: ui.message } : {}) } : ui} hints={closed ? 'session closed: the journal is kept' : keyHints(ui, keyView)} {...(promptLabel && !closed ? { promptLabel } : {})} />
    </Box>
  );
}
