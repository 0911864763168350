// What unit pruning knows of the columns of a [batch, n] value before any input arrives: each
// column is unknown, or takes, for every example, one of a few row vectors together with other
// columns (a segment: an embedding table's rows; one row: constants). Constants are computed in
// float64 and rounded to float32 after each op.

import type { Value } from "../../ir/graph.js";
import type { Known } from "../known.js";

/** The most rows a segment may hold (an embedding table's vocabulary); a longer one is forgotten. */
export const MAX_SEGMENT_ROWS = 4096;

/** Columns `cols` of a value take, for every example, the values of one of `rows` (one row: constants). */
export interface Segment {
  cols: number[];
  /** rows[t][i]: the value of column cols[i] in row t. */
  rows: number[][];
}

/** The binary ops whose known columns are computed here. */
export type Binary = "Add" | "Sub" | "Mul" | "Div";
export const BINARY: Record<Binary, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** True for the op of a binary node whose known columns are computed here. */
export const isBinary = (op: string): op is Binary => op in BINARY;

/** What is known of the columns of one [batch, n] value. */
export interface Facts {
  segments: Segment[];
  /** Per column: the index of its segment, or -1 when unknown. */
  seg: Int32Array;
  /** Per column: its position in its segment. */
  pos: Int32Array;
}

/** n of a float32 [batch, n] value, else undefined. */
export function widthOf(v: Value): number | undefined {
  const n = v.shape[1];
  return v.dtype === "float32" && v.shape.length === 2 && typeof n === "number" ? n : undefined;
}

/** Facts of an n-column value from segments: columns equal in every row become constants; oversized segments are dropped. */
export function makeFacts(n: number, segments: readonly Segment[]): Facts {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.rows.length === 0 || s.rows.length > MAX_SEGMENT_ROWS) continue;
    const varying: number[] = [];
    s.cols.forEach((c, i) => {
      const v = s.rows[0]![i]!;
      if (s.rows.every((r) => r[i] === v)) out.push({ cols: [c], rows: [[v]] });
      else varying.push(i);
    });
    if (varying.length) out.push({ cols: varying.map((i) => s.cols[i]!), rows: s.rows.map((r) => varying.map((i) => r[i]!)) });
  }
  const seg = new Int32Array(n).fill(-1);
  const pos = new Int32Array(n);
  out.forEach((s, k) =>
    s.cols.forEach((c, i) => {
      seg[c] = k;
      pos[c] = i;
    }),
  );
  return { segments: out, seg, pos };
}

/** The constant value of column c, or undefined. */
export function constantAt(f: Facts, c: number): number | undefined {
  const k = f.seg[c]!;
  if (k < 0) return undefined;
  const s = f.segments[k]!;
  return s.rows.length === 1 ? s.rows[0]![f.pos[c]!] : undefined;
}

/** Each segment's values through `f(column, value)`, rounded to float32. */
export function mapFacts(n: number, x: Facts, f: (c: number, v: number) => number, extra: Segment[] = []): Facts {
  return makeFacts(n, [...x.segments.map((s) => ({ cols: s.cols, rows: s.rows.map((r) => r.map((v, i) => Math.fround(f(s.cols[i]!, v)))) })), ...extra]);
}

/** The facts of x W: column k is known when every r with W[r, k] ≠ 0 is a constant or in one common segment. */
export function matmulFacts(x: Facts, w: Known): Facts {
  const [n, m] = w.shape as [number, number];
  const constants: Segment[] = [];
  // Output columns by the input segment they depend on: for each, the constant part and (position, weight) terms.
  const groups = new Map<number, { cols: number[]; base: number[]; terms: [number, number][][] }>();
  for (let k = 0; k < m; k++) {
    let segment = -1;
    let base = 0;
    let ok = true;
    const terms: [number, number][] = [];
    for (let r = 0; r < n && ok; r++) {
      const wv = w.data[r * m + k]!;
      if (wv === 0) continue;
      const s = x.seg[r]!;
      if (s < 0) ok = false;
      else if (x.segments[s]!.rows.length === 1) base += x.segments[s]!.rows[0]![x.pos[r]!]! * wv;
      else if (segment < 0 || segment === s) {
        segment = s;
        terms.push([x.pos[r]!, wv]);
      } else ok = false;
    }
    if (!ok) continue;
    if (segment < 0) {
      constants.push({ cols: [k], rows: [[Math.fround(base)]] });
      continue;
    }
    const g = groups.get(segment) ?? { cols: [], base: [], terms: [] };
    groups.set(segment, g);
    g.cols.push(k);
    g.base.push(base);
    g.terms.push(terms);
  }
  const segments = [...groups].map(([s, g]): Segment => ({
    cols: g.cols,
    rows: x.segments[s]!.rows.map((row) => g.terms.map((terms, j) => Math.fround(terms.reduce((a, [p, wv]) => a + row[p]! * wv, g.base[j]!)))),
  }));
  return makeFacts(m, [...constants, ...segments]);
}

/** 0, 1, ..., n - 1. */
export const range = (n: number) => Array.from({ length: n }, (_v, i) => i);
