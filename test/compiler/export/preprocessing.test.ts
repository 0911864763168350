// The preprocessing an exported model does in the graph, from the compiler's description of what
// the runtime fitted: lookups and hashes send missing and unseen cells to row 0, numeric values are
// standardized with NaN -> 0, and multi_hot pooling weights ignore missing tokens.

import { describe, expect, it } from "vitest";
import { categoryIds, poolingWeights, standardized } from "../../../compiler/export/preprocessing.js";
import { Builder, type Value } from "../../../compiler/ir/graph.js";
import { murmur3_32 } from "../../../runtime/data/vocab.js";
import { evaluate, type RefTensor } from "../ir/reference.js";

const MISSING = ["", "?"];

/** The one output of a graph built by `make` from one input, on `input`. */
function run(dtype: "string" | "float32", shape: (number | string)[], make: (b: Builder, x: Value) => Value, input: RefTensor): number[] {
  const b = new Builder("preprocess");
  b.output(make(b, b.input("x", dtype, shape)), "out");
  return evaluate(b.finish(), { x: input }).get("out")!.data as number[];
}

const cells = (...data: string[]): RefTensor => ({ dtype: "string", shape: [data.length], data });

describe("preprocessing in the graph", () => {
  it("looks values up in the vocabulary: value i is row i + 1, missing and unseen cells row 0", () => {
    const ids = run("string", ["batch"], (b, x) => categoryIds(b, x, { kind: "vocabulary", values: ["a", "b", "?"] }, MISSING), cells("b", "a", "", "?", "zz"));
    expect(ids).toEqual([2, 1, 0, 0, 0]);
  });

  it("hashes values into buckets (MurmurHash3), missing cells into bucket 0", () => {
    const ids = run("string", ["batch"], (b, x) => categoryIds(b, x, { kind: "hash", buckets: 7 }, MISSING), cells("Male", "", "?"));
    expect(ids).toEqual([murmur3_32("Male") % 7, 0, 0]);
  });

  it("standardizes after log1p, a missing value (NaN) becoming 0", () => {
    const z = run("float32", ["batch"], (b, x) => standardized(b, x, { kind: "numeric", transform: "log1p", mean: 1, std: 2 }), { dtype: "float32", shape: [3], data: [Math.E - 1, NaN, 0] });
    expect(z[0]).toBeCloseTo(0, 6);
    expect(z[1]).toBe(0);
    expect(z[2]).toBeCloseTo(-0.5, 6);
  });

  it("weights a token list's present tokens 1 / their count (mean pooling), missing ones 0", () => {
    const w = run("string", ["batch", 3], (b, x) => poolingWeights(b, x, "mean", MISSING), { dtype: "string", shape: [2, 3], data: ["a", "", "b", "?", "", ""] });
    expect(w).toEqual([0.5, 0, 0.5, 0, 0, 0]);
  });
});
