import { canonicalOrder, loadSpec } from "../compiler/index.js";
import { formatText, useColor } from "./report.js";
import { writeFileAtomic } from "../base/atomic-write.js";

/** `mssmc json SPEC`: prints the checked spec in canonical JSON form with every default filled. */
export function runJson(path: string, output: string | undefined): number {
  const result = loadSpec(path);
  if (result.diagnostics.length) process.stderr.write(formatText(result.diagnostics, result.files, useColor(process.stderr)) + "\n");
  if (result.library) {
    process.stderr.write(`${path}: error: this file declares no model (only fields and tasks to import), so it has no canonical JSON form.\n`);
    return 1;
  }
  if (!result.spec) return 1;
  const text = JSON.stringify(canonicalOrder({ $schema: "https://mssmc.dev/schemas/mssm.schema.json", ...result.spec }), null, 2) + "\n";
  if (output) writeFileAtomic(output, text);
  else process.stdout.write(text);
  return 0;
}
