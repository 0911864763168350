// Where two JSON values differ, as JSON pointers: for messages that name what changed (a resumed
// run's spec against the one it was trained from) instead of only saying that something did.

/** One difference: where, and each side's value as short JSON ("absent" where a key is missing). */
export interface JsonDifference {
  pointer: string;
  was: string;
  now: string;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** A value as JSON, cut to `width` characters. */
function shortJson(x: unknown, width = 40): string {
  if (x === undefined) return "absent";
  const text = JSON.stringify(x);
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * The places where `a` and `b` differ, depth first in key order, at most `limit`: a key in one only,
 * or values of other types or other scalars; arrays of other lengths differ as a whole.
 */
export function jsonDifferences(a: unknown, b: unknown, limit = 5): JsonDifference[] {
  const out: JsonDifference[] = [];
  const walk = (x: unknown, y: unknown, pointer: string): void => {
    if (out.length >= limit) return;
    if (isObject(x) && isObject(y)) {
      for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) walk(x[key], y[key], `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((v, i) => walk(v, y[i], `${pointer}/${i}`));
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ pointer: pointer || "/", was: shortJson(x), now: shortJson(y) });
  };
  walk(a, b, "");
  return out;
}
