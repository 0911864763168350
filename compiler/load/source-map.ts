import type { Span } from "../../base/source/span.js";

/** Where a value of the canonical JSON came from: its file, its span, and its key's span. */
export interface Origin {
  file: string;
  span: Span;
  /** The span of the property name, when the value is a property. */
  key?: Span;
}

/** Maps JSON pointers (`/fields/3/dim`) of a canonical spec to the source text they came from. */
export class SourceMap {
  private readonly origins = new Map<string, Origin>();

  /** Records where the value at `pointer` came from. */
  set(pointer: string, origin: Origin): void {
    this.origins.set(pointer, origin);
  }

  /** The origin of `pointer`, or of its nearest ancestor that has one. */
  locate(pointer: string): Origin | undefined {
    let p = pointer;
    for (;;) {
      const o = this.origins.get(p);
      if (o) return o;
      if (p === "") return undefined;
      p = p.slice(0, p.lastIndexOf("/"));
    }
  }

  /** The exact origin of `pointer`, without falling back to ancestors. */
  get(pointer: string): Origin | undefined {
    return this.origins.get(pointer);
  }
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins a pointer and a segment. */
export function child(pointer: string, key: string | number): string {
  return `${pointer}/${pointerSegment(key)}`;
}
