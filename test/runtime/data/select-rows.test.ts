// selectRows: a sample of a data set keeps every per-row column in the sample's order, sample
// weights and kept id columns included (permutation importance and the field check read them).

import { describe, expect, it } from "vitest";
import type { Dataset } from "../../../runtime/data/dataset.js";
import { selectRows } from "../../../runtime/data/select-rows.js";

describe("selectRows", () => {
  it("takes fields, labels, sample weights, kept columns and file lines in the order asked", () => {
    const data: Dataset = {
      file: "d.csv",
      rows: 4,
      lines: Int32Array.of(2, 3, 5, 6),
      fields: { x: { kind: "numeric", values: Float32Array.of(0.5, 1.5, 2.5, 3.5) } },
      labels: { y: Float32Array.of(0, 1, Number.NaN, 1) },
      weights: { y: Float32Array.of(1, 2, 0, 4) },
      kept: { id: ["a", "b", "c", "d"] },
    } as unknown as Dataset;
    const sub = selectRows(data, Int32Array.of(3, 0));
    expect(sub.rows).toBe(2);
    expect([...sub.lines]).toEqual([6, 2]);
    expect([...sub.labels.y!]).toEqual([1, 0]);
    expect([...sub.weights!.y!]).toEqual([4, 1]);
    expect(sub.kept!.id).toEqual(["d", "a"]);
    const without = selectRows({ ...data, weights: undefined, kept: undefined } as unknown as Dataset, Int32Array.of(1));
    expect("weights" in without || "kept" in without).toBe(false);
  });
});
