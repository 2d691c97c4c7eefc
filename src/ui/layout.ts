/** Lines `text` takes when wrapped at `width` columns (an estimate: word wrapping may take a line more). */
export function wrappedHeight(text: string, width: number): number {
  const w = Math.max(10, width);
  return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / w)), 0);
}

