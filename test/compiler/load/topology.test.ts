import { describe, expect, it } from "vitest";
import { normalize } from "../../../compiler/load/normalize.js";
import { topology, type Stage } from "../../../compiler/load/topology.js";

/** A normalized spec with two binary tasks `a` and `b` and one 4-wide numeric field. */
function spec(model: Record<string, unknown>) {
  return normalize({
    mssm: 1,
    model: "m",
    fields: [{ name: "x", kind: "numeric", dim: 4 }],
    tasks: [
      { name: "a", kind: "binary", label: "ya" },
      { name: "b", kind: "binary", label: "yb" },
    ],
    towers: { tasks: { a: { widths: [] }, b: { widths: [] } } },
    ...model,
  });
}

/** Each consumer of a stage as `name(mode): group#expert width, ...`. */
const wiring = (stage: Stage | undefined) => stage?.consumers.map((c) => `${c.name}(${c.sources}): ${c.reads.map((p) => `${p.group}#${p.expert} ${p.width}`).join(", ")}`);

describe("topology", () => {
  it("gives a task's softmax gate at the towers its own and the shared experts (CGC)", () => {
    const stages = topology(spec({
      groups: ["a", "b", "shared"],
      levels: [{ experts: { a: { widths: [8] }, b: { widths: [8] }, shared: { count: 2, widths: [8] } } }],
      towers: { connect: { kind: "softmax_gate" }, tasks: { a: { widths: [] }, b: { widths: [] } } },
    }));
    expect(wiring(stages[2])).toEqual(["a(own_and_shared): a#0 8, shared#0 8, shared#1 8", "b(own_and_shared): b#0 8, shared#0 8, shared#1 8"]);
  });

  it("lets towers without a group of their own read the shared experts (MMoE, dense default)", () => {
    const stages = topology(spec({ groups: ["shared"], levels: [{ experts: { shared: { count: 2, widths: [8, 6] } } }] }));
    expect(wiring(stages[1])).toEqual(["shared(all): input#0 4"]);
    expect(wiring(stages[2])).toEqual(["a(shared): shared#0 6, shared#1 6", "b(shared): shared#0 6, shared#1 6"]);
  });

  it("does not take a group named 'input' for the shared input", () => {
    const stages = topology(spec({
      groups: ["input", "a", "b"],
      levels: [
        { experts: { input: { widths: [8] }, a: { widths: [8] }, b: { widths: [8] } } },
        { experts: { a: { widths: [4] }, b: { widths: [4] } }, connect: { kind: "dense", sources: "own" } },
      ],
    }));
    expect(stages[0]?.producers).toEqual([{ group: "input", expert: 0, width: 4, input: true }]);
    expect(wiring(stages[2])).toEqual(["a(own): a#0 8", "b(own): b#0 8"]);
  });

  it("gives each group its own field selection as input when fields are selected per group", () => {
    const stages = topology(spec({ groups: ["a", "b"], select_fields: true, levels: [{ experts: { a: { widths: [8] } }, connect: { kind: "cssm", sources: "own" } }] }));
    expect(stages[0]?.producers.map((p) => p.group)).toEqual(["a", "b"]);
    expect(wiring(stages[1])).toEqual(["a(own): a#0 4"]);
  });
});
