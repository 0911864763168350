/** A half-open range of UTF-16 offsets [start, end) into one source text. */
export interface Span {
  start: number;
  end: number;
}

/** The smallest span covering both. */
export function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** A zero-width span at an offset. */
export function at(offset: number): Span {
  return { start: offset, end: offset };
}
