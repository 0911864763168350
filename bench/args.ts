// The benches' command-line options: `--name value` pairs, read the same way by every bench.

/** The value after `--name`, or undefined when the option is absent. */
export function optionText(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A whole number option of at least `min`, or `fallback` when absent; anything else is refused. */
export function wholeNumber(argv: readonly string[], name: string, fallback: number, min = 0): number {
  const text = optionText(argv, name);
  const v = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} needs a ${min >= 1 ? "positive " : ""}whole number`);
  return v;
}

/**
 * A comma-separated list (`--l0 1e-4,1e-3`) of positive numbers, or of whole numbers from 0 with
 * `whole` (`--seeds 1,2`); `fallback` when absent; anything else is refused.
 */
export function numberList(argv: readonly string[], name: string, fallback: readonly number[], whole = false): number[] {
  const text = optionText(argv, name);
  if (text === undefined) return [...fallback];
  const values = text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  const ok = (v: number) => (whole ? Number.isInteger(v) && v >= 0 : Number.isFinite(v) && v > 0);
  if (!values.every(ok)) throw new Error(`--${name} needs a comma-separated list of ${whole ? "whole numbers" : "positive numbers"}, got "${text}"`);
  return values;
}
