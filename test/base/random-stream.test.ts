import { describe, expect, it } from "vitest";
import { permutation, Random, STREAM } from "../../base/random.js";

const draw = (rng: Random, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe("Random (xoshiro128**)", () => {
  it("matches the reference algorithm from state [1, 2, 3, 4]", () => {
    // Vectors from an independent transcription of Blackman and Vigna's C code (Python, mod 2^32).
    const rng = Object.assign(Random.stream(0), { s0: 1, s1: 2, s2: 3, s3: 4 });
    expect(draw(rng, 6)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("gives the same numbers for the same seed and keys, different ones otherwise", () => {
    expect(draw(Random.stream(7), 4)).toEqual(draw(Random.stream(7), 4));
    expect(draw(Random.stream(7, STREAM.shuffle, 3), 4)).toEqual(draw(Random.stream(7, STREAM.shuffle, 3), 4));
    const streams = [Random.stream(7), Random.stream(8), Random.stream(7, 0), Random.stream(7, STREAM.shuffle, 0), Random.stream(7, STREAM.shuffle, 1), Random.stream(7 + 2 ** 32)];
    const firsts = streams.map((r) => draw(r, 2).join());
    expect(new Set(firsts).size).toBe(streams.length);
  });

  it("pins the first draws of seed 7 so a change of generator cannot go unnoticed", () => {
    expect(draw(Random.stream(7), 3)).toEqual(PINNED);
  });

  it("draws floats in [0, 1) and unbiased integers below n", () => {
    const rng = Random.stream(1);
    const counts = new Array(6).fill(0);
    let outside = 0;
    for (let i = 0; i < 60000; i++) {
      const f = rng.uniform();
      if (!(f >= 0 && f < 1)) outside++;
      counts[rng.below(6)]++;
    }
    expect(outside).toBe(0);
    // Each count is Binomial(60000, 1/6): mean 10000, sd 91; 5 sd either side.
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(460);
  });

  it("permutes 0..n-1", () => {
    const p = permutation(1000, Random.stream(3));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p.subarray(0, 10)]).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
});

const PINNED = [1004282400, 2200021487, 1928073449];
