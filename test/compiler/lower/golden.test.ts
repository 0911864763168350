// The text forms of two tiny lowered models against golden files, and deterministic emission.
// To accept a deliberate change, run with UPDATE_GOLDEN=1 and review the diff.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { graphText } from "../../../compiler/ir/text.js";
import type { LowerMode } from "../../../compiler/lower/context.js";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { packageRoot } from "../../../base/package-root.js";
import { specFromText, zooSpec } from "./helpers.js";
import { TINY_MMOE, TINY_MSSM } from "./specs.js";

const cases: [string, LowerMode, string][] = [
  ["mmoe", "train", TINY_MMOE],
  ["mmoe", "eval", TINY_MMOE],
  ["mssm", "train", TINY_MSSM],
  ["mssm", "eval", TINY_MSSM],
];

describe("lowered text forms", () => {
  it.each(cases)("match golden/%s-%s.txt", (name, mode, text) => {
    const { spec, locate } = specFromText(text, `${name}.mssm`);
    const actual = graphText(lowerSpec(spec, { mode, locate }));
    const path = join(packageRoot(), "test/compiler/lower/golden", `${name}-${mode}.txt`);
    if (process.env["UPDATE_GOLDEN"]) writeFileSync(path, actual);
    expect(actual).toBe(readFileSync(path, "utf8"));
  });
});

describe("determinism", () => {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

  it.each(["mssm.mssm", "ple.mssm", "cross-stitch.mssm"])("lowers and emits %s twice to the same bytes", (file) => {
    for (const mode of ["train", "eval"] as const) {
      const emit = () => {
        const { spec, locate } = zooSpec(file);
        return hex(emitModel(lowerSpec(spec, { mode, locate }), { seed: spec.train.seed, params: mode === "train" ? "inputs" : "initializers" }));
      };
      expect(emit()).toBe(emit());
    }
  });

  it("draws different initial weights for a different seed", () => {
    const { spec } = zooSpec("mssm.mssm");
    const g = lowerSpec(spec, { mode: "eval" });
    expect(hex(emitModel(g, { seed: 7 }))).not.toBe(hex(emitModel(g, { seed: 8 })));
  });
});
