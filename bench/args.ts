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
