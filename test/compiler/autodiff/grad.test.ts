// The autodiff driver: names, what it skips, broadcast reductions with symbolic dims, zero
// gradients, the rule contract, Call bodies, determinism. The backward of a gated layer is kept
// as a golden text form; to accept a deliberate change, run with UPDATE_GOLDEN=1 and review the diff.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { grad } from "../../../compiler/autodiff/grad.js";
import type { GradRule, RuleEntry } from "../../../compiler/autodiff/rule.js";
import { GRAD_RULES } from "../../../compiler/autodiff/rules/index.js";
import { Builder, type Graph, type Value } from "../../../compiler/ir/graph.js";
import { gateConstantValues, HARD_CONCRETE_DEFAULTS, HardConcreteSample } from "../../../compiler/ir/hard-concrete.js";
import { BATCH, type OpKind } from "../../../compiler/ir/ops.js";
import { graphText, nodeText } from "../../../compiler/ir/text.js";
import { packageRoot } from "../../../base/package-root.js";
import { InvariantError } from "../../../base/source/diagnostic.js";

/** A layer with a bias and hard-concrete gates per cell, plus an output the loss does not read. */
function gatedLayer(): Graph {
  const b = new Builder("gated_layer");
  const x = b.input("x", "float32", [BATCH, 4]);
  const u = b.input("u", "float32", [BATCH, 3]);
  const w = b.param("layer/weight", [4, 3], { kind: "glorot_uniform" });
  const bias = b.param("layer/bias", [3], { kind: "zeros" });
  const logAlpha = b.param("layer/log_alpha", [3], { kind: "zeros" }, { group: "gate" });
  const mm = b.matmul(x, w, "layer/matmul");
  b.output(b.sigmoid(mm, "score"));
  const c = gateConstantValues(b, "float32", HARD_CONCRETE_DEFAULTS);
  const [z] = b.call(HardConcreteSample, [logAlpha, u, c.beta, c.gamma, c.zeta], ["layer/gate"]);
  const h = b.relu(b.mul(b.add(mm, bias, "layer/pre"), z!, "layer/gated"), "layer/out");
  b.output(b.reduceMean(h, [0, 1], false, "loss"));
  return b.finish();
}

const lossOf = (g: Graph) => g.outputs.find((o) => o.name === "loss")!;
const params = (g: Graph) => g.params.map((p) => p.value);
const backwardNodes = (forward: Graph, g: Graph) => g.nodes.slice(forward.nodes.length);

describe("grad on a gated layer", () => {
  const forward = gatedLayer();
  const result = grad(forward, lossOf(forward), params(forward));

  it("appends the backward pass as in the golden text form", () => {
    const text = backwardNodes(forward, result.graph).map(nodeText).join("\n") + "\n";
    const path = join(packageRoot(), "test/compiler/autodiff/golden/gated-layer-backward.txt");
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("names each gradient grad/<value> and keeps the forward graph as it was", () => {
    expect(result.gradients.map((g) => g.name)).toEqual(["grad/layer/weight", "grad/layer/bias", "grad/layer/log_alpha"]);
    expect(result.gradients.map((g) => g.shape)).toEqual([[4, 3], [3], [3]]);
    expect(result.graph.nodes.slice(0, forward.nodes.length)).toEqual(forward.nodes);
    expect(result.graph.outputs).toEqual(forward.outputs);
    expect(result.graph.params).toEqual(forward.params);
  });

  it("builds nothing for the data input x nor for the output the loss does not read", () => {
    const backward = backwardNodes(forward, result.graph);
    expect(backward.filter((n) => n.op === "MatMul").map((n) => n.outputs[0]!.name)).toEqual(["grad/layer/weight"]);
    expect(backward.some((n) => n.inputs.some((v) => v.name === "score"))).toBe(false);
    expect(backward.some((n) => n.op === "Sigmoid" && n.inputs.some((v) => v.name === "layer/matmul"))).toBe(false);
  });

  it("sums the bias gradient over the batch axis it was broadcast along", () => {
    const node = result.graph.nodes.find((n) => n.outputs[0]!.name === "grad/layer/bias")!;
    expect(nodeText(node)).toBe("%grad/layer/bias: float32[3] = ReduceSum<axes=[0], keepdims=false>(%grad/layer/pre)");
  });

  it("keeps the gate a Call and recomputes the body values its rules read", () => {
    expect(result.graph.nodes.filter((n) => n.op === "Call")).toHaveLength(1);
    expect(result.graph.functions.map((f) => f.name)).toEqual(["HardConcreteSample"]);
    const recomputed = backwardNodes(forward, result.graph).flatMap((n) => n.outputs.map((o) => o.name)).filter((name) => name.includes("/forward/"));
    expect(recomputed).toContain("backward/layer/gate/forward/s");
    expect(recomputed).toContain("backward/layer/gate/forward/stretched");
  });

  it("reports the forward values the backward reads", () => {
    expect(result.saved.map((v) => v.name)).toEqual(["x", "u", "layer/log_alpha", "layer/gate", "layer/pre", "layer/out"]);
  });

  it("is deterministic", () => {
    const fresh = gatedLayer();
    const again = grad(fresh, lossOf(fresh), params(fresh));
    expect(graphText(again.graph)).toBe(graphText(result.graph));
  });
});

describe("broadcast gradients are summed back to the input's shape", () => {
  const cases: [string, (number | string)[], (number | string)[], string][] = [
    ["leading axes", [3], [2, BATCH, 3], "ReduceSum<axes=[0,1], keepdims=false>"],
    ["a size-1 axis against the batch", [1, 3], [BATCH, 3], "ReduceSum<axes=[0], keepdims=true>"],
    ["a size-1 axis against embedding rows", ["rows_item", 1], ["rows_item", 3], "ReduceSum<axes=[1], keepdims=true>"],
    ["both", [1, 3], [2, BATCH, 3], "ReduceSum<axes=[0,1], keepdims=true> Squeeze<axes=[0]>"],
  ];
  for (const [title, small, large, ops] of cases) {
    it(`${title}: [${small}] + [${large}]`, () => {
      const b = new Builder("g");
      const a = b.input("a", "float64", small);
      const c = b.input("c", "float64", large);
      b.output(b.reduceSum(b.add(a, c), large.map((_d, i) => i), false, "loss"));
      const g = b.finish();
      const { graph, gradients } = grad(g, lossOf(g), [a]);
      expect(gradients[0]!.shape).toEqual(small);
      const made = backwardNodes(g, graph).filter((n) => n.op === "ReduceSum" || n.op === "Squeeze");
      expect(made.map((n) => nodeText(n).split(" = ")[1]!.split("(")[0]).join(" ")).toBe(ops);
    });
  }
});

describe("values the loss does not depend on", () => {
  it("get zeros of their type, named grad/<value>", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [BATCH, 2]);
    const used = b.param("used", [2], { kind: "zeros" });
    const unused = b.param("unused", [2, 2], { kind: "zeros" });
    const scalar = b.param("scalar", [1], { kind: "zeros" });
    b.output(b.reduceSum(b.mul(x, used), [0, 1], false, "loss"));
    const g = b.finish();
    const { graph, gradients } = grad(g, lossOf(g), [used, unused, scalar]);
    expect(gradients.map((v) => `${v.name}: ${v.dtype}[${v.shape.join(",")}]`)).toEqual([
      "grad/used: float32[2]",
      "grad/unused: float32[2,2]",
      "grad/scalar: float32[1]",
    ]);
    const def = (v: Value) => nodeText(graph.nodes.find((n) => n.outputs.includes(v))!);
    expect(def(gradients[1]!)).toBe("%grad/unused: float32[2,2] = Expand<shape=[2,2]>(%const/float32/0)");
  });

  it("the gradient of a value passed through unchanged gets an Identity to carry its name", () => {
    const b = new Builder("g");
    const a = b.input("a", "float64", [3]);
    const c = b.input("c", "float64", [3]);
    b.output(b.reduceSum(b.add(a, c, "sum"), [0], false, "loss"));
    const g = b.finish();
    const { graph, gradients } = grad(g, lossOf(g), [a, c]);
    const defs = gradients.map((v) => nodeText(graph.nodes.find((n) => n.outputs.includes(v))!));
    expect(defs).toEqual([
      "%grad/a: float64[3] = Expand<shape=[3]>(%const/float64/1)",
      "%grad/c: float64[3] = Identity(%grad/a)",
    ]);
  });
});

describe("the rule contract", () => {
  const saved = GRAD_RULES.Tanh;
  afterEach(() => {
    (GRAD_RULES as Record<OpKind, RuleEntry<OpKind>>).Tanh = saved;
  });
  const replaceTanh = (rule: GradRule<"Tanh">) => ((GRAD_RULES as Record<OpKind, RuleEntry<OpKind>>).Tanh = rule as RuleEntry<OpKind>);
  const tanhGraph = () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [BATCH, 2]);
    b.output(b.reduceSum(b.tanh(x, "t"), [0, 1], false, "loss"));
    return { graph: b.finish(), x };
  };

  it("a gradient that does not fit its input is an internal error naming the rule", () => {
    replaceTanh({ keeps: {}, grad: ({ b, dy }) => [() => b.concat([dy, dy], 1)] });
    const { graph, x } = tanhGraph();
    expect(() => grad(graph, lossOf(graph), [x])).toThrow(
      new InvariantError("The gradient rule of Tanh (%t) for input 0 (%x) is float32[batch,4], which does not fit the input's type float32[batch,2]."),
    );
  });

  it("a rule may read only the forward values it declares kept", () => {
    replaceTanh({ keeps: {}, grad: ({ b, dy, y }) => [() => b.mul(dy, y(0))] });
    const { graph, x } = tanhGraph();
    expect(() => grad(graph, lossOf(graph), [x])).toThrow(new InvariantError("The gradient rule of Tanh reads output 0 without keeping it."));
  });

  it("the loss must be a float scalar", () => {
    const { graph, x } = tanhGraph();
    const t = graph.nodes[0]!.outputs[0]!;
    expect(() => grad(graph, t, [x])).toThrow(new InvariantError("The loss %t must be a float scalar, not float32[batch,2]."));
  });
});
