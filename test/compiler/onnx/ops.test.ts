// Every IR op, emitted in a tiny graph and run in onnxruntime-node, against the TypeScript
// reference evaluator; in float64 with a tight tolerance where ORT has float64 kernels.

import { describe, expect, it } from "vitest";
import { OP_KINDS } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { evaluate } from "../ir/reference.js";
import { buildCase, CASES, expectClose, feedsFor } from "./op-cases.js";
import { runModel } from "./ort.js";

describe("every op runs in onnxruntime and matches the reference", () => {
  it("has a case for every op kind", () => {
    expect([...new Set(CASES.map((c) => c.op))].sort()).toEqual([...OP_KINDS].sort());
  });

  for (const opset of [17, 18, 21, 26]) {
    for (const c of CASES) {
      it(`opset ${opset}: ${c.title} (${c.dtype ?? "float64"})`, async () => {
        const { builder: b, dtype } = buildCase(c);
        const graph = b.finish();
        const rng = Random.derive(1, c.title);
        const feeds = feedsFor(b, c, rng);
        const expected = evaluate(graph, feeds);
        const actual = await runModel(emitModel(graph, { opset }), feeds);
        for (const o of graph.outputs) expectClose(actual[o.name]!, expected.get(o.name)!, c.tolerance ?? (dtype === "float32" ? 1e-6 : 1e-12));
      });
    }
  }
});
