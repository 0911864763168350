// Common-subexpression elimination: the same op on the same values is computed once; graph outputs
// keep their own nodes; what nothing reads is removed.

import { describe, expect, it } from "vitest";
import { eliminateCommonSubexpressions } from "../../../compiler/ir/cse.js";
import { Builder } from "../../../compiler/ir/graph.js";
import { HardConcreteGate } from "../../../compiler/ir/hard-concrete.js";
import { graphText } from "../../../compiler/ir/text.js";

describe("eliminateCommonSubexpressions", () => {
  it("merges repeated concats and what is built on them, keeping the first names", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", ["batch", 2]);
    const y = b.input("y", "float32", ["batch", 3]);
    const w1 = b.param("w1", [5, 4], { kind: "zeros" });
    const w2 = b.param("w2", [5, 4], { kind: "zeros" });
    const a = b.matmul(b.concat([x, y], 1, "a/input"), w1, "a/out");
    const c = b.concat([x, y], 1, "b/input");
    const d = b.matmul(c, w2, "b/out");
    b.output(b.add(a, d, "sum"));
    const g = eliminateCommonSubexpressions(b.finish());
    expect(graphText(g).split("\n").filter((l) => l.startsWith("  %"))).toEqual([
      "  %a/input: float32[batch,5] = Concat<axis=1>(%x, %y)",
      "  %a/out: float32[batch,4] = MatMul(%a/input, %w1)",
      "  %b/out: float32[batch,4] = MatMul(%a/input, %w2)",
      "  %sum: float32[batch,4] = Add(%a/out, %b/out)",
    ]);
  });

  it("merges equal calls and chains of equal nodes, drops dead nodes and unused functions", () => {
    const b = new Builder("g");
    const la = b.input("log_alpha", "float32", [4]);
    const [gamma, zeta] = [b.constant(-0.1, "float32"), b.constant(1.1, "float32")];
    const z1 = b.call(HardConcreteGate, [la, gamma, zeta], ["z1"])[0]!;
    const z2 = b.call(HardConcreteGate, [la, gamma, zeta], ["z2"])[0]!;
    const s1 = b.sigmoid(b.neg(z1, "n1"), "s1");
    const s2 = b.sigmoid(b.neg(z2, "n2"), "s2");
    b.relu(la, "dead");
    b.output(b.mul(s1, s2, "out"));
    const g = eliminateCommonSubexpressions(b.finish());
    expect(g.nodes.map((n) => `${n.op} ${n.outputs[0]!.name} <- ${n.inputs.map((v) => v.name).join(", ")}`)).toEqual([
      "Call z1 <- log_alpha, const/float32/-0.1, const/float32/1.1",
      "Neg n1 <- z1",
      "Sigmoid s1 <- n1",
      "Mul out <- s1, s1",
    ]);
    expect(g.functions.map((f) => f.name)).toEqual(["HardConcreteGate"]);
  });

  it("drops the constants only dead nodes read, keeping those live nodes read", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [3]);
    const kept = b.constant(2, "float32");
    const unread = b.constant(5, "float32");
    b.mul(x, unread, "dead");
    b.output(b.mul(x, kept, "out"));
    const g = eliminateCommonSubexpressions(b.finish());
    expect([g.nodes.map((n) => n.outputs[0]!.name), g.constants.map((c) => c.value.name)]).toEqual([["out"], [kept.name]]);
  });

  it("keeps a repeated node whose value is a graph output, and leaves a graph without repeats alone", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [3]);
    b.output(b.relu(x, "r1"));
    b.output(b.relu(x, "r2"));
    const g = eliminateCommonSubexpressions(b.finish());
    expect(g.nodes.map((n) => n.outputs[0]!.name)).toEqual(["r1", "r2"]);
    expect(g.outputs.map((v) => v.name)).toEqual(["r1", "r2"]);
  });

  it("returns a frozen graph, so that its verification here is the last one", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [3]);
    b.output(b.add(b.relu(x, "r1"), b.relu(x, "r2"), "sum"));
    const g = eliminateCommonSubexpressions(b.finish());
    expect([g.nodes.map((n) => n.outputs[0]!.name), [g, g.inputs, g.params, g.constants, g.nodes, g.outputs, g.functions].map(Object.isFrozen)]).toEqual([
      ["r1", "sum"],
      [true, true, true, true, true, true, true],
    ]);
  });
});
