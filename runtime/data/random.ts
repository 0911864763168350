// A seeded pseudo-random generator of our own, so a seed means the same validation split, batch
// order and gate noise on every machine and every Node version (Math.random cannot be seeded).

/** splitmix32 (a golden-ratio counter through murmur3's finalizer): turns any seed into well-mixed words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Named streams, so that drawing more noise never changes the split or the batch order. */
export const STREAM = { validSplit: 1, shuffle: 2, gateNoise: 3, init: 4 } as const;

/**
 * xoshiro128** (Blackman and Vigna, 2018): 128 bits of state, period 2^128 - 1, passes BigCrush.
 * `new Rng(seed, ...keys)` gives an independent generator for each key path, e.g.
 * `new Rng(seed, STREAM.shuffle, epoch)`.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for `seed` (any safe integer) and an optional path of integer keys. */
  constructor(seed: number, ...keys: number[]) {
    const st = { s: seed | 0 };
    // The high bits of a large seed and each key are folded into the splitmix counter in turn.
    st.s ^= Math.floor(seed / 4294967296) | 0;
    this.a = splitmix32(st);
    for (const k of keys) {
      st.s ^= Math.imul(k | 0, 0x27d4eb2f);
      splitmix32(st);
    }
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    // result = rotl(b * 5, 7) * 9
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992;
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.uint32();
    while (x >= limit);
    return x % n;
  }
}

/** Rotates a 32-bit word left by k bits. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Shuffles `a` in place (Fisher-Yates), each permutation equally likely. */
export function shuffleInPlace(a: Int32Array, rng: Rng): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** The integers 0..n-1 in a seeded random order. */
export function permutation(n: number, rng: Rng): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return shuffleInPlace(a, rng);
}
