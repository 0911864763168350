// Vocabularies map a categorical value to its row in the field's embedding table. They are plain
// JSON so that checkpoints and the exported model carry exactly the mapping training used.
//
// Id 0 is reserved in every vocabulary of values: it is the row for missing values and for values
// not in the vocabulary (out-of-vocabulary), so one learned embedding stands for "unknown".
// Hashed fields have no reserved row: a value goes to bucket murmur3_32(utf8(value)) mod buckets,
// and a missing value to bucket 0, which it shares with the values that hash there. MurmurHash3
// because onnxruntime has it (com.microsoft MurmurHash3), so the exported model hashes unseen
// values exactly as training did. Runs written before it hashed with FNV-1a ("fnv1a32-utf8"):
// they still evaluate and predict, but cannot be resumed (new data is hashed with MurmurHash3)
// or exported.

import { UserError } from "../../base/user-error.js";

/** A field's value-to-id mapping, as stored in checkpoints and manifests. */
export type Vocab =
  /** `values[i]` has id i + 1; anything else (missing, unseen) has id 0. */
  | { kind: "values"; values: string[] }
  /** id = the 32-bit hash of the value's UTF-8 bytes, modulo `buckets`. */
  | { kind: "hash"; hash: HashName; buckets: number };

/** The string hashes of hashed vocabularies: MurmurHash3 x86 32-bit (seed 0), and FNV-1a of old runs. */
export type HashName = "murmur3-32-utf8" | "fnv1a32-utf8";

/** The hash each name stands for. */
const HASHES: Record<HashName, (s: string) => number> = { "murmur3-32-utf8": (s) => murmur3_32(s), "fnv1a32-utf8": (s) => fnv1a32(s) };

/** The number of rows of the embedding table for this vocabulary. */
export function vocabRows(vocab: Vocab): number {
  return vocab.kind === "values" ? vocab.values.length + 1 : vocab.buckets;
}

/**
 * The vocabulary of values seen at least `minCount` times, most frequent first (ties by value,
 * in UTF-16 code-unit order), so the same training data always gives the same ids.
 */
export function vocabFromCounts(counts: ReadonlyMap<string, number>, minCount: number): Vocab {
  const kept = [...counts].filter(([, n]) => n >= minCount);
  kept.sort(([va, na], [vb, nb]) => nb - na || (va < vb ? -1 : va > vb ? 1 : 0));
  return { kind: "values", values: kept.map(([v]) => v) };
}

/** A vocabulary fixed by the spec, ids in the order written; a repeated value keeps its first id. */
export function fixedVocab(values: readonly string[]): Vocab {
  return { kind: "values", values: [...new Set(values)] };
}

/** A hashed vocabulary of `buckets` rows. */
export function hashVocab(buckets: number): Vocab {
  return { kind: "hash", hash: "murmur3-32-utf8", buckets };
}

/** Looks values up in a vocabulary; build once per field and reuse. */
export class VocabIndex {
  private readonly ids: Map<string, number> | undefined;
  private readonly hash: ((s: string) => number) | undefined;

  constructor(readonly vocab: Vocab) {
    this.ids = vocab.kind === "values" ? new Map(vocab.values.map((v, i) => [v, i + 1])) : undefined;
    this.hash = vocab.kind === "hash" && Object.hasOwn(HASHES, vocab.hash) ? HASHES[vocab.hash] : undefined;
    if (vocab.kind === "hash" && !this.hash) throw new UserError(`unknown string hash "${String(vocab.hash)}" (known: ${Object.keys(HASHES).join(", ")}); the run's files were written by a newer mssmc or edited`, "unknown-hash");
  }

  /** The id of `value` (undefined = missing): 0 for missing or unknown values of a vocabulary. */
  id(value: string | undefined): number {
    if (value === undefined) return 0;
    if (this.ids) return this.ids.get(value) ?? 0;
    return this.hash!(value) % (this.vocab as { buckets: number }).buckets;
  }

  /** True when `value` (present) has no row of its own: unseen in training or not in the fixed list. */
  unknown(value: string): boolean {
    return this.ids !== undefined && !this.ids.has(value);
  }
}

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `s` (lone surrogates encode as U+FFFD, as TextEncoder
 * does): h = 2166136261; for each byte b: h = (h XOR b) * 16777619 mod 2^32. Written out here
 * rather than taken from a library so the exported model and any server can reproduce it exactly.
 */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number): void => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) byte(c);
    else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 63));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    } else {
      byte(0xf0 | (c >> 18));
      byte(0x80 | ((c >> 12) & 63));
      byte(0x80 | ((c >> 6) & 63));
      byte(0x80 | (c & 63));
    }
  }
  return h >>> 0;
}

/** Reused by murmur3_32: a value's UTF-8 bytes (grown on demand). */
let utf8 = new Uint8Array(256);
const encoder = new TextEncoder();

/**
 * MurmurHash3, x86 32-bit variant, over the UTF-8 bytes of `s` (lone surrogates encode as U+FFFD,
 * as TextEncoder does), as onnxruntime's MurmurHash3 op computes it for a string with positive = 1.
 * One difference: onnxruntime-node hands string tensors over as C strings, so there a value with
 * U+0000 in it is hashed only up to that character.
 */
export function murmur3_32(s: string, seed = 0): number {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (utf8.length < s.length * 3) utf8 = new Uint8Array(Math.max(s.length * 3, utf8.length * 2));
  const n = encoder.encodeInto(s, utf8).written;
  const bytes = utf8;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail) {
    let k = bytes[blocks]!;
    if (tail > 1) k ^= bytes[blocks + 1]! << 8;
    if (tail > 2) k ^= bytes[blocks + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
