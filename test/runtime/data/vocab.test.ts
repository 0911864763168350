import { describe, expect, it } from "vitest";
import { fixedVocab, fnv1a32, hashVocab, VocabIndex, vocabFromCounts, vocabRows, type Vocab } from "../../../runtime/data/vocab.js";

describe("fnv1a32", () => {
  it("matches FNV-1a 32-bit over UTF-8 bytes (vectors from an independent Python implementation)", () => {
    const cases: [string, number][] = [
      ["", 2166136261],
      ["a", 3826002220],
      ["foobar", 3214735720],
      ["Private", 3491703980],
      ["é", 513665217],
      ["日本", 2670128721],
      ["😀", 866293256],
      ["United-States", 543536387],
    ];
    expect(cases.map(([s]) => fnv1a32(s))).toEqual(cases.map(([, h]) => h));
  });

  it("hashes a lone surrogate as U+FFFD, like TextEncoder", () => {
    expect(fnv1a32("\ud800")).toBe(55024714);
    expect(fnv1a32("\ud800")).toBe(fnv1a32("\ufffd"));
  });
});

describe("vocabularies", () => {
  const counts = new Map([
    ["b", 3],
    ["a", 3],
    ["c", 5],
    ["rare", 1],
  ]);

  it("orders values by descending count, then by value, and keeps those seen min_count times", () => {
    expect(vocabFromCounts(counts, 1)).toEqual({ kind: "values", values: ["c", "a", "b", "rare"] });
    expect(vocabFromCounts(counts, 2)).toEqual({ kind: "values", values: ["c", "a", "b"] });
    expect(vocabFromCounts(new Map([...counts].reverse()), 2)).toEqual(vocabFromCounts(counts, 2));
  });

  it("gives id 0 to missing and unknown values and 1.. to known ones", () => {
    const index = new VocabIndex(vocabFromCounts(counts, 2));
    expect(["c", "a", "b", "rare", "never"].map((v) => index.id(v))).toEqual([1, 2, 3, 0, 0]);
    expect(index.id(undefined)).toBe(0);
    expect([index.unknown("rare"), index.unknown("a")]).toEqual([true, false]);
    expect(vocabRows(index.vocab)).toBe(4);
  });

  it("keeps a fixed vocabulary in the order written, first occurrence winning", () => {
    const v = fixedVocab(["x", "y", "x"]);
    expect(v).toEqual({ kind: "values", values: ["x", "y"] });
    expect(["x", "y", "z"].map((s) => new VocabIndex(v).id(s))).toEqual([1, 2, 0]);
  });

  it("hashes into buckets, missing to bucket 0, never reporting a value unknown", () => {
    const index = new VocabIndex(hashVocab(16));
    expect(index.id("Private")).toBe(3491703980 % 16);
    expect(index.id(undefined)).toBe(0);
    expect(index.unknown("anything")).toBe(false);
    expect(vocabRows(index.vocab)).toBe(16);
  });

  it("survives a trip through JSON", () => {
    const vocabs: Vocab[] = [vocabFromCounts(counts, 1), hashVocab(1000)];
    for (const v of vocabs) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});
