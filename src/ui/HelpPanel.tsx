/** @jsxRuntime automatic @jsxImportSource react */
import { Box, Text } from 'ink';
import { HELP_LINES } from './ui-state.ts';

/** The keys and what they do (the `?` key). */
export function HelpPanel() {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>Keys</Text>
      {HELP_LINES.map(([key, what]) => (
        <Text key={key}>
          <Text bold color="cyan">{key.padEnd(8)}</Text> {what}
        </Text>
      ))}
      <Text dimColor>Every action, output line, note and skip reason is written to the journal as it happens.</Text>
    </Box>
  );
}
