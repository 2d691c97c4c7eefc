/** @jsxRuntime automatic @jsxImportSource react */
import { render } from 'ink';
import type { ReactElement } from 'react';
import type { GameDay } from '../gameday/gameday-driver.ts';
import type { GuideController } from '../guide/session.ts';
import { GameDayApp } from './GameDayApp.tsx';
import { GuideApp, type UiExit } from './GuideApp.tsx';

/**
 * Renders a screen until it reports how the operator left it (or `signal`
 * aborts: a SIGINT or SIGTERM from outside ends the session elsewhere, and
 * the screen closes with it). Ctrl-C is a key on these screens, not an
 * immediate exit.
 */
async function runUntilExit(screen: (onExit: (exit: UiExit) => void) => ReactElement, signal?: AbortSignal): Promise<UiExit> {
  let resolveExit!: (exit: UiExit) => void;
  const exited = new Promise<UiExit>((resolve) => { resolveExit = resolve; });
  const instance = render(screen((exit) => resolveExit(exit)), { exitOnCtrlC: false });
  const onAbort = () => {
    resolveExit({ kind: 'interrupted' });
    instance.unmount();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await exited;
  signal?.removeEventListener('abort', onAbort);
  await instance.waitUntilExit().catch(() => {});
  return exit;
}

/** Shows a guided session in the terminal until the operator leaves it, and resolves with how they left. */
export function runGuideUi(session: GuideController, options: { initialMessage?: string; signal?: AbortSignal } = {}): Promise<UiExit> {
  return runUntilExit((onExit) => <GuideApp session={session} onExit={onExit} {...(options.initialMessage ? { initialMessage: options.initialMessage } : {})} />, options.signal);
}

/** Shows a game day (service panel, then the runbook once the alert fires) until the operator's session ends or they leave. */
export function runGameDayUi(gameDay: GameDay, options: { signal?: AbortSignal } = {}): Promise<UiExit> {
  return runUntilExit((onExit) => <GameDayApp gameDay={gameDay} onExit={onExit} />, options.signal);
}

/** The guided UI as an element, for tests (ink-testing-library) and embedding. */
export function guideApp(props: Parameters<typeof GuideApp>[0]) {
  return <GuideApp {...props} />;
}
