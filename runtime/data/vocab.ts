// Vocabularies map a categorical value to its row in the field's embedding table. They are plain
// JSON so that checkpoints and the exported model carry exactly the mapping training used.
//
// Id 0 is reserved in every vocabulary of values: it is the row for missing values and for values
// not in the vocabulary (out-of-vocabulary), so one learned embedding stands for "unknown".
// Hashed fields have no reserved row: a value goes to bucket fnv1a32(utf8(value)) mod buckets,
// and a missing value to bucket 0, which it shares with the values that hash there.

/** A field's value-to-id mapping, as stored in checkpoints and manifests. */
export type Vocab =
  /** `values[i]` has id i + 1; anything else (missing, unseen) has id 0. */
  | { kind: "values"; values: string[] }
  /** id = FNV-1a 32-bit of the value's UTF-8 bytes, modulo `buckets`. */
  | { kind: "hash"; hash: "fnv1a32-utf8"; buckets: number };

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
  return { kind: "hash", hash: "fnv1a32-utf8", buckets };
}

/** Looks values up in a vocabulary; build once per field and reuse. */
export class VocabIndex {
  private readonly ids: Map<string, number> | undefined;

  constructor(readonly vocab: Vocab) {
    this.ids = vocab.kind === "values" ? new Map(vocab.values.map((v, i) => [v, i + 1])) : undefined;
  }

  /** The id of `value` (undefined = missing): 0 for missing or unknown values of a vocabulary. */
  id(value: string | undefined): number {
    if (value === undefined) return 0;
    if (this.ids) return this.ids.get(value) ?? 0;
    return fnv1a32(value) % (this.vocab as { buckets: number }).buckets;
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
