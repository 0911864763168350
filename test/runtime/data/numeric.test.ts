import { describe, expect, it } from "vitest";
import { specOf } from "./helpers.js";
import { labelReader } from "../../../runtime/data/labels.js";
import { fitNumeric, parseNumber, readNumeric, standardize } from "../../../runtime/data/numeric.js";

describe("numeric fields", () => {
  it("accepts decimal numbers only", () => {
    const ok = ["12", "-0.5", "+3", ".5", "5.", "1e-3", "2E+2"];
    expect(ok.map(parseNumber)).toEqual([12, -0.5, 3, 0.5, 5, 0.001, 200]);
    const bad = ["0x10", "inf", "Infinity", "NaN", "1,5", "1e999", "abc", "1 2", "-"];
    expect(bad.map(parseNumber)).toEqual(bad.map(() => undefined));
  });

  it("applies log1p and rejects values outside its domain or outside float32", () => {
    expect(readNumeric("0", "log1p")).toBe(0);
    expect(readNumeric("99", "log1p")).toBeCloseTo(Math.log(100), 12);
    expect([readNumeric("-1", "log1p"), readNumeric("-2", "log1p"), readNumeric("1e39", "none")]).toEqual([undefined, undefined, undefined]);
  });

  it("fits mean and population std on the chosen rows, skipping missing (NaN)", () => {
    const values = new Float64Array([1, 2, NaN, 3, 100]);
    expect(fitNumeric(values, "none", new Int32Array([0, 1, 2, 3]))).toEqual({ transform: "none", mean: 2, std: Math.sqrt(2 / 3), count: 3 });
    expect(fitNumeric(new Float64Array([4, 4]), "none")).toEqual({ transform: "none", mean: 4, std: 1, count: 2 });
    expect(fitNumeric(new Float64Array([NaN]), "none")).toEqual({ transform: "none", mean: 0, std: 1, count: 0 });
  });

  it("standardizes, imputes missing as 0 and stays finite in float32", () => {
    const stats = { transform: "none" as const, mean: 2, std: 0.5, count: 3 };
    expect([standardize(3, stats), standardize(NaN, stats)]).toEqual([2, 0]);
    expect(Number.isFinite(Math.fround(standardize(3e38, { ...stats, std: 1e-30 })))).toBe(true);
  });
});

describe("labels", () => {
  const spec = specOf("x numeric", 'b binary(label: y, positive: [">50K", ">50K."])\nr regression(label: r)\nk multiclass(3, label: k)');
  const [binary, regression, multiclass] = spec.tasks.map(labelReader);

  it("reads binary labels by the positive set; a missing label (empty or ?) is NaN, no label for the task", () => {
    expect([">50K", ">50K.", "<=50K", "<=50K.", "anything", "?", ""].map((c) => binary!.read(c))).toEqual([1, 1, 0, 0, 0, NaN, NaN]);
  });

  it("reads regression targets as numbers and classes as integers below the class count", () => {
    expect(["1.5", "-2", "?", "", "x"].map((c) => regression!.read(c))).toEqual([1.5, -2, NaN, NaN, undefined]);
    expect(["0", "2", "3", "-1", "1.0", "?", ""].map((c) => multiclass!.read(c))).toEqual([0, 2, undefined, undefined, undefined, -1, -1]);
    expect([binary!.expected, regression!.expected, multiclass!.expected]).toEqual(["a label", "a number", "a class 0..2"]);
  });
});
