// jsonDifferences: the JSON pointers where two values differ, each side shown short.

import { describe, expect, it } from "vitest";
import { jsonDifferences } from "../../base/json-differences.js";

describe("jsonDifferences", () => {
  it("names a changed scalar, a key on one side only and an array of another length, in key order", () => {
    const was = { train: { epochs: 10, seed: 7 }, levels: [{ width: 64 }, { width: 32 }], tags: [1, 2] };
    const now = { train: { epochs: 10, seed: 7, prune_during_training: false }, levels: [{ width: 64 }, { width: 16 }], tags: [1] };
    expect(jsonDifferences(was, now)).toEqual([
      { pointer: "/levels/1/width", was: "32", now: "16" },
      { pointer: "/tags", was: "[1,2]", now: "[1]" },
      { pointer: "/train/prune_during_training", was: "absent", now: "false" },
    ]);
  });

  it("finds nothing in equal values, escapes keys as JSON pointers do, cuts long values and stops at the limit", () => {
    expect(jsonDifferences({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
    expect(jsonDifferences({ "x/y~": 1 }, { "x/y~": 2 })).toEqual([{ pointer: "/x~1y~0", was: "1", now: "2" }]);
    const [long] = jsonDifferences({ s: "a".repeat(100) }, { s: "b" });
    expect([long!.was.length, long!.was.endsWith("…"), long!.now]).toEqual([40, true, '"b"']);
    expect(jsonDifferences({ a: 1, b: 1, c: 1 }, { a: 2, b: 2, c: 2 }, 2).map((d) => d.pointer)).toEqual(["/a", "/b"]);
    expect(jsonDifferences(1, "1")).toEqual([{ pointer: "/", was: "1", now: '"1"' }]);
  });
});
