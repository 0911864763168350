// The text form of a small graph (a gated tower) against a golden file. To accept a deliberate
// change, run with UPDATE_GOLDEN=1 and review the diff.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { graphText, nodeText } from "../../../compiler/ir/text.js";
import { packageRoot } from "../../../base/package-root.js";
import { towerGraph } from "./fixtures.js";

describe("graphText", () => {
  it("writes one definition per line, functions after the graph", () => {
    const text = graphText(towerGraph());
    const path = join(packageRoot(), "test/compiler/ir/golden/tower.txt");
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("prints a node with its type, attributes and source line", () => {
    const g = towerGraph();
    expect(nodeText(g.nodes.find((n) => n.op === "MatMul")!)).toBe(
      "%income/tower/dense0/out: float32[batch,32] = MatMul(%x, %income/tower/dense0/weight)  # mssm.mssm:12",
    );
    expect(nodeText(g.nodes.find((n) => n.op === "Squeeze")!)).toBe(
      "%income/tower/logit: float32[batch] = Squeeze<axes=[1]>(%income/tower/dense1/out)  # mssm.mssm:13",
    );
  });
});
