import { describe, expect, it } from "vitest";
import { Builder } from "../../../compiler/ir/graph.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { fixedVocab, fnv1a32, hashVocab, murmur3_32, VocabIndex, vocabFromCounts, vocabRows, type Vocab } from "../../../runtime/data/vocab.js";
import { runModel } from "../../compiler/onnx/ort.js";

describe("murmur3_32", () => {
  it("matches the published MurmurHash3 x86 32-bit vectors (seed 0 and others)", () => {
    const cases: [string, number, number][] = [
      ["", 0, 0],
      ["", 1, 0x514e28b7],
      ["", 0xffffffff, 0x81f16f39],
      ["a", 0, 0x3c2569b2],
      ["ab", 0, 0x9bbfd75f],
      ["abc", 0, 0xb3dd93fa],
      ["abcd", 0, 0x43ed676a],
      ["aaaa", 0x9747b28c, 0x5a97808a],
      ["Hello, world!", 0x9747b28c, 0x24884cba],
      ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
    ];
    expect(cases.map(([s, seed]) => murmur3_32(s, seed))).toEqual(cases.map(([, , h]) => h));
  });

  it("equals onnxruntime's MurmurHash3 (what the exported model runs) on 600 strings, through StringHash", async () => {
    const rng = Random.derive(11, "murmur3");
    // No U+0000: onnxruntime-node passes strings to the runtime as C strings, which end there.
    const alphabet = ["a", "Z", "0", " ", "-", ".", "é", "ß", "日", "本", "😀", "\t"];
    // Long ones too: past the 256 bytes murmur3_32's buffer starts with.
    const strings = ["", "?", "United-States", "Private", "\ud800", "x\udc00y", "é".repeat(200), "日本😀".repeat(150)];
    while (strings.length < 600) {
      const n = Math.floor(rng.uniform() * 40);
      strings.push(Array.from({ length: n }, () => alphabet[Math.floor(rng.uniform() * alphabet.length)]!).join(""));
    }
    const b = new Builder("hash");
    b.output(b.node("StringHash", [b.input("x", "string", [BATCH])], { buckets: 2 ** 32 }, ["bucket"])[0]!);
    const out = await runModel(emitModel(b.finish()), { x: { dtype: "string", shape: [strings.length], data: strings } });
    expect(out["bucket"]!.data).toEqual(strings.map((s) => murmur3_32(s)));
  });
});

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
    expect(index.id("Private")).toBe(murmur3_32("Private") % 16);
    expect(murmur3_32("Private")).toBe(479536455);
    expect(index.id(undefined)).toBe(0);
    expect(index.unknown("anything")).toBe(false);
    expect(vocabRows(index.vocab)).toBe(16);
  });

  it("still reads the FNV-1a vocabularies of runs written before MurmurHash3, and refuses an unknown hash", () => {
    const old = new VocabIndex({ kind: "hash", hash: "fnv1a32-utf8", buckets: 16 });
    expect(old.id("Private")).toBe(3491703980 % 16);
    expect(() => new VocabIndex({ kind: "hash", hash: "md5" as never, buckets: 16 })).toThrow(/^unknown string hash "md5" \(known: murmur3-32-utf8, fnv1a32-utf8\)/);
  });

  it("survives a trip through JSON", () => {
    const vocabs: Vocab[] = [vocabFromCounts(counts, 1), hashVocab(1000), { kind: "hash", hash: "fnv1a32-utf8", buckets: 10 }];
    for (const v of vocabs) expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});
