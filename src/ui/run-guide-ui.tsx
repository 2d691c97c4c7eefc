import { render } from 'ink';
import type { GuideController } from '../guide/session.ts';
import { GuideApp, type UiExit } from './GuideApp.tsx';

/**
 * Shows a guided session in the terminal until the operator leaves it, and
 * resolves with how they left. Ctrl-C is a key here (the session ends as
 * interrupted, the journal is kept), not an immediate exit.
 */
export async function runGuideUi(session: GuideController, options: { initialMessage?: string; signal?: AbortSignal } = {}): Promise<UiExit> {
  let resolveExit!: (exit: UiExit) => void;
  const exited = new Promise<UiExit>((resolve) => { resolveExit = resolve; });
  const instance = render(<GuideApp session={session} onExit={(exit) => resolveExit(exit)} {...(options.initialMessage ? { initialMessage: options.initialMessage } : {})} />, { exitOnCtrlC: false });
  // A signal (SIGINT, SIGTERM from outside) ends the session elsewhere; the screen closes with it.
  const onAbort = () => {
    resolveExit({ kind: 'interrupted' });
    instance.unmount();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await exited;
  options.signal?.removeEventListener('abort', onAbort);
  await instance.waitUntilExit().catch(() => {});
  return exit;
}

/** The guided UI as an element, for tests (ink-testing-library) and embedding. */
export function guideApp(props: Parameters<typeof GuideApp>[0]) {
  return <GuideApp {...props} />;
}
