// The only source of randomness in the compiler: a small seeded generator (xoshiro128** seeded by
// splitmix32), so the same spec and seed give byte-identical initial weights on every machine.
// Streams are derived per name (`Random.derive(seed, "income/tower/dense0/weight")`), so adding a
// parameter does not change the initial values of the others.

import { invariant } from "../source/diagnostic.js";

/** splitmix32 step: a well-mixed 32-bit word from a counter, used to seed the main generator. */
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

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A deterministic pseudo-random generator with uniform and normal draws. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: readonly number[]) {
    let state = 0;
    const seeded: number[] = [];
    for (let i = 0; i < 4; i++) {
      // Absorb every input word before drawing each state word, so all of them matter.
      for (const w of words) [, state] = splitmix32(state ^ w);
      const [word, next] = splitmix32(state + i);
      seeded.push(word);
      state = next;
    }
    [this.s0, this.s1, this.s2, this.s3] = seeded as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** A generator for a seed (a non-negative safe integer). */
  static fromSeed(seed: number): Random {
    invariant(Number.isSafeInteger(seed) && seed >= 0, `Seed ${seed} is not a non-negative integer.`);
    return new Random([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0]);
  }

  /** An independent stream for one named consumer (a parameter, a gate group) under a seed. */
  static derive(seed: number, name: string): Random {
    invariant(Number.isSafeInteger(seed) && seed >= 0, `Seed ${seed} is not a non-negative integer.`);
    return new Random([seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, fnv1a(name, 0x811c9dc5), fnv1a(name, 0x6a09e667), name.length]);
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

  /** A uniform draw from [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A normal draw N(mean, std²) by the Box–Muller transform (one draw per two uniforms). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform(); // in (0, 1], so log(u1) is finite
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
