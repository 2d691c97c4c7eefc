import { expect } from 'vitest';
import type { render } from 'ink-testing-library';

type Rendered = ReturnType<typeof render>;

/** Waits until Ink listens to stdin (useInput mounted), so a key written next is not lost. */
export async function inputReady(r: Rendered): Promise<void> {
  await expect.poll(() => r.stdin.listenerCount('readable'), { timeout: 2000, interval: 5 }).toBeGreaterThan(0);
}

/** The last frame, once it matches. */
export async function frameMatching(r: Rendered, pattern: RegExp | string, timeout = 15_000): Promise<string> {
  await expect.poll(() => r.lastFrame() ?? '', { timeout, interval: 10 }).toMatch(typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern);
  return r.lastFrame() ?? '';
}

/** Keys as a terminal sends them. */
export const KEY = { enter: '\r', escape: '\u001b', backspace: '\u007f', ctrlC: '\u0003' } as const;

/** Presses one key (or types text) after making sure input is being read. */
export async function press(r: Rendered, key: string): Promise<void> {
  await inputReady(r);
  r.stdin.write(key);
}
