/** A source text with the line table needed to turn offsets into line and column. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
  /** Offset of the first character of each line. */
  readonly lineStarts: readonly number[];
}

/** A 1-based line and a 1-based column counted in UTF-16 code units. */
export interface LineColumn {
  line: number;
  column: number;
}

/** Wraps a text so positions can be computed on demand. */
export function sourceFile(path: string, text: string): SourceFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lineStarts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) lineStarts.push(i + 1);
  }
  return { path, text, lineStarts };
}

/** The line and column of an offset (clamped into the text). */
export function lineColumn(file: SourceFile, offset: number): LineColumn {
  const at = Math.max(0, Math.min(offset, file.text.length));
  let lo = 0;
  let hi = file.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (file.lineStarts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: at - file.lineStarts[lo]! + 1 };
}

/** The text of a 1-based line, without its line break. */
export function lineText(file: SourceFile, line: number): string {
  const start = file.lineStarts[line - 1] ?? file.text.length;
  const next = file.lineStarts[line];
  let end = next === undefined ? file.text.length : next;
  while (end > start && (file.text[end - 1] === "\n" || file.text[end - 1] === "\r")) end--;
  return file.text.slice(start, end);
}
