/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useCallback, useSyncExternalStore } from 'react';
import type { GameDay } from '../gameday/gameday-driver.ts';
import { GuideApp, type UiExit } from './GuideApp.tsx';
import { SERVICE_PANEL_ROWS, ServicePanel } from './ServicePanel.tsx';

/**
 * The game-day screen: the live service panel on top; under it, until the
 * alert fires, nothing but the service (the operator is not told a fault
 * came), then the guide's screen for the runbook, with all its keys. Before
 * the alert, q or Ctrl-C ends the game day.
 */
export function GameDayApp({ gameDay, onExit }: { gameDay: GameDay; onExit: (exit: UiExit) => void }) {
  const app = useApp();
  const { stdout } = useStdout();
  const subscribe = useCallback((notify: () => void) => gameDay.subscribe(notify), [gameDay]);
  const view = useSyncExternalStore(subscribe, () => gameDay.view());
  const columns = Math.max(40, stdout.columns || 100);
  const handedOver = view.phase !== 'steady' && view.session !== null;

  useInput((input, key) => {
    if (handedOver) return;
    if (input === 'q' || (key.ctrl && input === 'c')) {
      onExit({ kind: 'interrupted' });
      app.exit();
    }
  });

  return (
    <Box flexDirection="column" width={columns}>
      <ServicePanel view={view} columns={columns} />
      {handedOver ? (
        <GuideApp session={view.session!} onExit={onExit} reservedRows={SERVICE_PANEL_ROWS} />
      ) : (
        <Text dimColor>Game day under way: the service runs under load. When monitoring alerts, the runbook appears here. (q ends the game day)</Text>
      )}
    </Box>
  );
}
