/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import type { UiState } from './ui-state.ts';

/** The bottom of the screen: the message line, the open prompt if any, then the keys line (always shown). */
export function KeyBar({ ui, hints, promptLabel }: { ui: UiState; hints: string; promptLabel?: string }) {
  const tone = ui.message?.tone === 'error' ? 'red' : ui.message?.tone === 'warn' ? 'yellow' : undefined;
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text color={tone}>{ui.message?.text ?? ' '}</Text>
      {ui.prompt && (
        <Text wrap="truncate-start">
          <Text bold color="cyan">{promptLabel} </Text>
          {ui.prompt.text}
          <Text inverse> </Text>
        </Text>
      )}
      <Text inverse wrap="truncate-end">{` ${hints} `}</Text>
    </Box>
  );
}
