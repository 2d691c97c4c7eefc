/** The rows of an incident report's "## Steps" table, as [number, step, status, duration, attempts, remarks]. */
export function stepRows(markdown: string): string[][] {
  const section = markdown.split('## Steps')[1]?.split('\n## ')[0] ?? '';
  return section.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
}
