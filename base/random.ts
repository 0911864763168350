// The only source of randomness in mssmc: xoshiro128** (Blackman and Vigna, 2018; 128 bits of
// state, period 2^128 - 1, passes BigCrush) seeded through splitmix32, so a seed means the same
// initial weights, validation split, batch order and gate noise on every machine and Node version
// (Math.random cannot be seeded). Two ways to seed it, each pinned by tests because run folders
// depend on their exact output:
//
// - by name, for the compiler: `Random.derive(seed, "income/tower/dense0/weight")`, so adding a
//   parameter does not change the initial values of the others;
// - by a path of integer keys, for the runtime: `Random.stream(seed, STREAM.shuffle, epoch)`, so
//   drawing more noise never changes the split or the batch order.

import { invariant } from "./source/diagnostic.js";

/** The runtime's named streams (the first key of `Random.stream`). */
export const STREAM = { validSplit: 1, shuffle: 2, gateNoise: 3, init: 4 } as const;

/** splitmix32 step (a golden-ratio counter through murmur3's finalizer): a well-mixed word and the next counter. */
function splitmix32(state: number): [word: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** FNV-1a over the UTF-16 code units of a string, with a chosen offset basis. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Rotates a 32-bit word left by k bits. */
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A deterministic pseudo-random generator with uniform, integer and normal draws. */
export class Random {
  private constructor(
    private s0: number,
    private s1: number,
    private s2: number,
    private s3: number,
  ) {}

  /** A generator for a seed (a non-negative safe integer). */
  static fromSeed(seed: number): Random {
    invariant(Number.isSafeInteger(seed) && seed >= 0, `Seed ${seed} is not a non-negative integer.`);
    return Random.absorbing([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0]);
  }

  /** An independent stream for one named consumer (a parameter, a gate group) under a seed. */
  static derive(seed: number, name: string): Random {
    invariant(Number.isSafeInteger(seed) && seed >= 0, `Seed ${seed} is not a non-negative integer.`);
    return Random.absorbing([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, fnv1a(name, 0x811c9dc5), fnv1a(name, 0x6a09e667), name.length]);
  }

  /**
   * The generator for `seed` (any safe integer) and a path of integer keys, e.g.
   * `Random.stream(seed, STREAM.shuffle, epoch)`: the high bits of the seed and each key are
   * folded into the splitmix counter in turn.
   */
  static stream(seed: number, ...keys: number[]): Random {
    let counter = (seed | 0) ^ (Math.floor(seed / 4294967296) | 0);
    let a: number, b: number, c: number, d: number;
    [a, counter] = splitmix32(counter);
    for (const k of keys) [, counter] = splitmix32(counter ^ Math.imul(k | 0, 0x27d4eb2f));
    [b, counter] = splitmix32(counter);
    [c, counter] = splitmix32(counter);
    [d, counter] = splitmix32(counter);
    if ((a | b | c | d) === 0) d = 1; // the all-zero state is a fixed point
    return new Random(a, b, c, d);
  }

  /** Seeds from words: every input word is absorbed before each state word is drawn, so all of them matter. */
  private static absorbing(words: readonly number[]): Random {
    let state = 0;
    const seeded: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (const w of words) [, state] = splitmix32(state ^ w);
      const [word, next] = splitmix32(state + i);
      seeded.push(word);
      state = next;
    }
    const [s0, s1, s2, s3] = seeded as [number, number, number, number];
    return new Random((s0 | s1 | s2 | s3) === 0 ? 1 : s0, s1, s2, s3); // the all-zero state is a fixed point
  }

  /** The next 32 random bits as an unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform draw from [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 2 ** 26 + lo) / 2 ** 53;
  }

  /**
   * Fills `out` with float32 draws from (low, high): low + (high − low)(k + ½)/2^24, k the top 24
   * bits of each of the next `out.length` words (a float32 holds no more), the words `nextUint32`
   * would return. The loop keeps the state in 32-bit integers, which V8 does not box: about 30
   * times faster than as many `uniform` calls (per-example gate noise draws ~10^6 a step).
   */
  fillUniform24(out: Float32Array, low: number, high: number): void {
    let s0 = this.s0 | 0, s1 = this.s1 | 0, s2 = this.s2 | 0, s3 = this.s3 | 0;
    const scale = (high - low) / 2 ** 24;
    const start = low + scale / 2;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      const word = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = start + (word >>> 8) * scale;
    }
    [this.s0, this.s1, this.s2, this.s3] = [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
  }

  /** A uniform draw from [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  /** A normal draw N(mean, std²) by the Box–Muller transform (one draw per two uniforms). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform(); // in (0, 1], so log(u1) is finite
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Shuffles `a` in place (Fisher-Yates), each permutation equally likely. */
export function shuffleInPlace(a: Int32Array, rng: Random): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** The integers 0..n-1 in a seeded random order. */
export function permutation(n: number, rng: Random): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return shuffleInPlace(a, rng);
}
