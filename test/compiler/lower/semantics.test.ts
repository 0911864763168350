// What the lowered graphs compute, checked on tiny specs with hand-set weights through the
// reference evaluator: gates, FSCM masks, mixing weights, pooling, losses, regularizers, and
// which sub-networks exist at all.

import { describe, expect, it } from "vitest";
import type { Graph } from "../../../compiler/ir/graph.js";
import { initialValues } from "../../../compiler/ir/init.js";
import { crossStitchInit } from "../../../compiler/lower/connections/cross-stitch.js";
import type { LowerMode } from "../../../compiler/lower/context.js";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { planLowering } from "../../../compiler/lower/plan.js";
import type { Spec } from "../../../compiler/load/types.js";
import { evaluate, type RefTensor } from "../ir/reference.js";
import { DIMS, paramFeeds, randomFeeds, specFromText, zooSpec } from "./helpers.js";
import { TINY_MMOE, TINY_MSSM } from "./specs.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Every value of a lowered graph on a random batch, with some params set by hand. */
function run(spec: Spec, mode: LowerMode, overrides: Record<string, number[]> = {}, seed = 1): { graph: Graph; values: Map<string, RefTensor> } {
  const graph = lowerSpec(spec, { mode });
  const values = evaluate(graph, { ...randomFeeds(graph, spec, seed), ...paramFeeds(graph, 5, overrides) });
  return { graph, values };
}

const data = (values: Map<string, RefTensor>, name: string) => {
  const t = values.get(name);
  if (!t) throw new Error(`no value ${name}`);
  return t.data as number[];
};

const params = (graph: Graph) => graph.params.map((p) => p.value.name);

/** Two numeric-and-categorical fields, tasks a and b, level 2 joined by `connect`. */
const twoLevels = (connect: string, extra = "") => specFromText(`fields {
  x  numeric(dim: 2)
  c  categorical(dim: 2)
}
tasks {
  a  binary(label: ya)
  b  binary(label: yb)
}
model m {
  groups a, b
  level 1 { experts: mlp[3] relu }
  level 2 { experts: mlp[3] relu, connect: ${connect} }
  towers { tower: mlp[] }
  ${extra}
}
`).spec;

describe("cssm", () => {
  const spec = twoLevels("cssm");
  const closed = { "level2/a/expert0/gates/b/expert0/log_alpha": [-10, -10, -10] };
  const open = { "level2/a/expert0/gates/b/expert0/log_alpha": [10, 10, 10] };
  const changedB = (g: Graph) => initialValues(g, 5).get("level1/b/expert0/dense0/weight")!.map((w) => 3 * w + 0.5);

  it("drops a source whose gate's log α is very negative (eval)", () => {
    const first = run(spec, "eval", closed);
    const second = run(spec, "eval", { ...closed, "level1/b/expert0/dense0/weight": Array.from(changedB(first.graph)) });
    // The expert's gates are sampled as one pack, source a's cells then source b's.
    expect(data(first.values, "level2/a/expert0/gates/z").slice(3, 6)).toEqual([0, 0, 0]);
    expect(data(second.values, "level2/a/expert0/dense0/out")).toEqual(data(first.values, "level2/a/expert0/dense0/out"));
    expect(data(second.values, "pred/a")).toEqual(data(first.values, "pred/a"));
    expect(data(second.values, "pred/b")).not.toEqual(data(first.values, "pred/b"));
  });

  it("passes a source whose gate is open, each cell gated on its own", () => {
    const first = run(spec, "eval", open);
    const second = run(spec, "eval", { ...open, "level1/b/expert0/dense0/weight": Array.from(changedB(first.graph)) });
    expect(data(first.values, "level2/a/expert0/gates/z").slice(3, 6)).toEqual([1, 1, 1]);
    expect(data(second.values, "pred/a")).not.toEqual(data(first.values, "pred/a"));
    // One closed cell zeroes exactly that column of the b block of W_eff.
    const mixed = run(spec, "eval", { "level2/a/expert0/gates/b/expert0/log_alpha": [10, -10, 10] });
    const w = data(mixed.values, "level2/a/expert0/dense0/gated_weight");
    const raw = initialValues(mixed.graph, 5).get("level2/a/expert0/dense0/weight")!;
    // Rows 0-2 read a/expert0 (gate ~0.62 each), rows 3-5 read b/expert0 (gates 1, 0, 1).
    for (let r = 3; r < 6; r++) expect([w[r * 3]!, w[r * 3 + 1]!, w[r * 3 + 2]!]).toEqual([raw[r * 3]!, 0, raw[r * 3 + 2]!]);
  });

  it("computes the eval gate as clip(σ(log α)(ζ − γ) + γ, 0, 1) and the train gate from the noise", () => {
    const z = data(run(spec, "eval", { "level2/a/expert0/gates/a/expert0/log_alpha": [0, 1, -1] }).values, "level2/a/expert0/gates/z").slice(0, 3);
    [0, 1, -1].forEach((la, i) => expect(z[i]).toBeCloseTo(sigmoid(la) * 1.2 - 0.1, 6));
    const train = lowerSpec(spec, { mode: "train" });
    const feeds = { ...randomFeeds(train, spec), ...paramFeeds(train, 5, { "level2/a/expert0/gates/a/expert0/log_alpha": [0, 1, -1] }) };
    feeds["noise/level2/a/expert0/gates/a/expert0"] = { dtype: "float32", shape: [3], data: [0.5, 0.9, 0.2] };
    const zs = data(evaluate(train, feeds), "level2/a/expert0/gates/z").slice(0, 3);
    [0.5, 0.9, 0.2].forEach((u, i) => {
      const la = [0, 1, -1][i]!;
      const s = sigmoid((Math.log(u) - Math.log(1 - u) + la) / (2 / 3));
      expect(zs[i]).toBeCloseTo(Math.min(1, Math.max(0, s * 1.2 - 0.1)), 6);
    });
  });

  it("shapes the gates of each granularity and puts every noise input after the labels", () => {
    const shapes = (granularity: string) => planLowering(twoLevels(`cssm(granularity: ${granularity})`)).gateGroups.map((g) => `${g.name} [${g.shape.join(",")}]`);
    expect(shapes("cell")).toEqual([
      "level2/a/expert0/gates/a/expert0 [3]",
      "level2/a/expert0/gates/b/expert0 [3]",
      "level2/b/expert0/gates/a/expert0 [3]",
      "level2/b/expert0/gates/b/expert0 [3]",
    ]);
    expect(shapes("block")).toEqual(shapes("cell").map((s) => s.replace("[3]", "[1]")));
    expect(shapes("weight")).toEqual(shapes("cell").map((s) => s.replace("[3]", "[3,3]")));
    const train = lowerSpec(twoLevels("cssm(granularity: weight)"), { mode: "train" });
    expect(train.inputs.map((v) => `${v.name}: ${v.dtype}[${v.shape.join(",")}]`)).toEqual([
      "emb/c/rows: float32[rows_c,2]",
      "emb/c/index: int64[batch]",
      "numeric: float32[batch,1]",
      "label/a: float32[batch]",
      "label/b: float32[batch]",
      "noise/level2/a/expert0/gates/a/expert0: float32[3,3]",
      "noise/level2/a/expert0/gates/b/expert0: float32[3,3]",
      "noise/level2/b/expert0/gates/a/expert0: float32[3,3]",
      "noise/level2/b/expert0/gates/b/expert0: float32[3,3]",
    ]);
  });

  it("gives a block gate one scalar per source (SNR-Trans)", () => {
    const { values } = run(twoLevels("cssm(granularity: block)"), "eval", { "level2/a/expert0/gates/b/expert0/log_alpha": [-10] });
    // One gate per source: rows 0-2 of the mask read a's, rows 3-5 b's (closed).
    const mask = data(values, "level2/a/expert0/gate_mask");
    expect(mask.length).toBe(6);
    expect(mask.slice(3)).toEqual([0, 0, 0]);
    expect(new Set(mask.slice(0, 3)).size).toBe(1);
    expect(mask[0]).toBeGreaterThan(0);
    expect(data(values, "level2/a/expert0/dense0/gated_weight").slice(9).every((w) => w === 0)).toBe(true);
  });
});

describe("l0_average", () => {
  it("reads Σ_s z_s o_s with a scalar gate per source (SNR-Aver)", () => {
    const { values } = run(twoLevels("l0_average"), "eval", { "level2/a/gates/a/expert0/log_alpha": [10], "level2/a/gates/b/expert0/log_alpha": [-10] });
    expect(data(values, "level2/a/input")).toEqual(data(values, "level1/a/expert0/dense0/out"));
    const half = run(twoLevels("l0_average"), "eval", { "level2/a/gates/a/expert0/log_alpha": [10], "level2/a/gates/b/expert0/log_alpha": [10] });
    const [oa, ob, x] = ["level1/a/expert0/dense0/out", "level1/b/expert0/dense0/out", "level2/a/input"].map((n) => data(half.values, n));
    x!.forEach((v, i) => expect(v).toBeCloseTo(oa![i]! + ob![i]!, 6));
  });
});

describe("softmax_gate", () => {
  const { spec } = specFromText(TINY_MMOE);

  it("mixes the experts with softmax weights that sum to 1, queried on the input", () => {
    const { graph, values } = run(spec, "eval");
    const g = data(values, "towers/click/gate/probs");
    for (let i = 0; i < DIMS.batch; i++) {
      expect(g[2 * i]! + g[2 * i + 1]!).toBeCloseTo(1, 6);
      expect(Math.min(g[2 * i]!, g[2 * i + 1]!)).toBeGreaterThan(0);
    }
    const [o0, o1, x] = ["level1/shared/expert0/dense0/out", "level1/shared/expert1/dense0/out", "towers/click/input"].map((n) => data(values, n));
    x!.forEach((v, k) => {
      const i = Math.floor(k / 4);
      expect(v).toBeCloseTo(g[2 * i]! * o0![k]! + g[2 * i + 1]! * o1![k]!, 6);
    });
    expect(graph.nodes.find((n) => n.outputs[0]!.name === "towers/click/gate/xw")!.inputs[0]!.name).toBe("fields/concat");
  });

  it("queries PLE's gates with what the task's experts read at the level before", () => {
    const graph = lowerSpec(zooSpec("ple.mssm").spec, { mode: "eval" });
    const query = (gate: string) => graph.nodes.find((n) => n.outputs[0]!.name === `${gate}/gate/xw`)!.inputs[0]!.name;
    expect(query("level2/income")).toBe("fields/concat");
    expect(query("level2/shared")).toBe("fields/concat");
    expect(query("towers/income")).toBe("level2/income/input");
    expect(query("towers/never_married")).toBe("level2/never_married/input");
    // CGC: the towers' gates read the input their tasks' experts read.
    const cgc = lowerSpec(zooSpec("cgc.mssm").spec, { mode: "eval" });
    expect(cgc.nodes.find((n) => n.outputs[0]!.name === "towers/income/gate/xw")!.inputs[0]!.name).toBe("fields/concat");
  });

  it("queries a group's field-selected input under field selection", () => {
    const { spec: selected } = specFromText(`fields { x numeric(dim: 2), c categorical(dim: 2) }
tasks { a binary(label: ya), b binary(label: yb) }
model m {
  groups a, b
  select fields per group
  level 1 { experts: mlp[3] relu, connect: softmax_gate(sources: all) }
  towers { tower: mlp[] }
}
`);
    const graph = lowerSpec(selected, { mode: "eval" });
    expect(graph.nodes.find((n) => n.outputs[0]!.name === "level1/a/gate/xw")!.inputs[0]!.name).toBe("select/a/out");
    expect(graph.nodes.find((n) => n.outputs[0]!.name === "level1/a/stack")!.inputs.map((v) => v.name)).toEqual(["level1/a/stack/input/a", "level1/a/stack/input/b"]);
  });
});

describe("cross_stitch", () => {
  it("starts at 0.9 on the own column and 0.1 / (S − 1) on each other one", () => {
    const graph = lowerSpec(zooSpec("cross-stitch.mssm").spec, { mode: "eval" });
    const init = (name: string) => graph.params.find((p) => p.value.name === name)?.init;
    expect(init("level2/income/cross_stitch/income/expert0/alpha")).toEqual({ kind: "constant", value: 0.9 });
    expect(init("level2/income/cross_stitch/never_married/expert0/alpha")).toEqual({ kind: "constant", value: 0.1 });
    expect(init("towers/never_married/cross_stitch/never_married/expert0/alpha")).toEqual({ kind: "constant", value: 0.9 });
    expect(init("towers/never_married/cross_stitch/income/expert0/alpha")).toEqual({ kind: "constant", value: 0.1 });
    expect(crossStitchInit("a", [{ group: "a" }, { group: "b" }, { group: "shared" }])).toEqual([0.9, 0.05, 0.05]);
    expect(crossStitchInit("t", [{ group: "a" }, { group: "b" }])).toEqual([0.5, 0.5]);
  });

  it("reads Σ_s α_s o_s", () => {
    const { values } = run(twoLevels("cross_stitch"), "eval", { "level2/a/cross_stitch/a/expert0/alpha": [2], "level2/a/cross_stitch/b/expert0/alpha": [-0.5] });
    const [oa, ob, x] = ["level1/a/expert0/dense0/out", "level1/b/expert0/dense0/out", "level2/a/input"].map((n) => data(values, n));
    x!.forEach((v, i) => expect(v).toBeCloseTo(2 * oa![i]! - 0.5 * ob![i]!, 6));
  });
});

describe("field embeddings and selection", () => {
  const { spec } = specFromText(TINY_MSSM);

  it("pools multi_hot rows by the given weights and embeds numerics as x·v", () => {
    const { values } = run(spec, "eval");
    const rows = data(values, "emb/tags/rows");
    const index = data(values, "emb/tags/index");
    const weight = data(values, "emb/tags/weight");
    const e = data(values, "fields/tags/embedding");
    for (let i = 0; i < DIMS.batch; i++) {
      for (let d = 0; d < 3; d++) {
        let sum = 0;
        for (let l = 0; l < DIMS.len; l++) sum += weight[i * DIMS.len + l]! * rows[index[i * DIMS.len + l]! * 3 + d]!;
        expect(e[i * 3 + d]).toBeCloseTo(sum, 6);
      }
    }
    const x = data(values, "numeric");
    const v = data(values, "fields/age/vector");
    data(values, "fields/age/embedding").forEach((ev, k) => expect(ev).toBeCloseTo(x[Math.floor(k / 2)]! * v[k % 2]!, 6));
  });

  // Both offsets: the default b = 1, and b = 0 (the paper's form), which closes a field whenever g · e <= 0.
  it.each([1, 0])("masks each field per example and group by relu(tanh(g · e + b)), b = %s", (offset) => {
    const g = [1.5, -3, 6, 0.75, -2.25];
    const withOffset = { ...spec, select_fields: true, gates: { ...spec.gates, select_offset: offset } };
    const { values } = run(withOffset, "eval", { "select/click/g": g });
    const e = data(values, "fields/concat");
    const mask = data(values, "select/click/mask");
    const out = data(values, "select/click/out");
    const segments = [[0, 2], [2, 5]];
    let closed = 0;
    for (let i = 0; i < DIMS.batch; i++) {
      segments.forEach(([from, to], f) => {
        let dot = 0;
        for (let c = from!; c < to!; c++) dot += g[c]! * e[i * 5 + c]!;
        const w = Math.max(0, Math.tanh(dot + offset));
        if (w === 0) closed++;
        expect(mask[i * 2 + f]).toBeCloseTo(w, 6);
        for (let c = from!; c < to!; c++) expect(out[i * 5 + c]).toBeCloseTo(w * e[i * 5 + c]!, 6);
      });
    }
    // The random batch puts some dots on each side of -b.
    expect(closed).toBeGreaterThan(0);
    expect(closed).toBeLessThan(DIMS.batch * 2);
  });
});

describe("losses and regularizers", () => {
  const { spec } = specFromText(`fields { x numeric(dim: 2), c categorical(dim: 3) }
tasks {
  p  binary(label: y1, weight: 2)
  r  regression(label: y2, weight: 0.5)
  k  multiclass(3, label: y3)
}
model m {
  groups p, shared
  level 1 { experts { p: mlp[3] tanh, shared: mlp[3] gelu }, connect: cssm }
  towers { tower: mlp[2] elu, k: mlp[] , connect: dense(sources: all) }
  regularize { l0: 0.01, l2: 0.001 }
}
`);

  it("computes each task's loss, L0, L2 and the joint loss as the formulas say", () => {
    const { graph, values } = run(spec, "train");
    const y1 = data(values, "label/p");
    const z1 = data(values, "towers/p/logit");
    const bce = z1.reduce((a, z, i) => a - (y1[i]! * Math.log(sigmoid(z)) + (1 - y1[i]!) * Math.log(1 - sigmoid(z))), 0) / DIMS.batch;
    expect(data(values, "loss/p")[0]).toBeCloseTo(bce, 6);
    const y2 = data(values, "label/r");
    const mse = data(values, "towers/r/logit").reduce((a, z, i) => a + (z - y2[i]!) ** 2, 0) / DIMS.batch;
    expect(data(values, "loss/r")[0]).toBeCloseTo(mse, 6);
    const y3 = data(values, "label/k");
    const z3 = data(values, "towers/k/out/pre");
    let ce = 0;
    for (let i = 0; i < DIMS.batch; i++) {
      const row = z3.slice(i * 3, i * 3 + 3);
      const lse = Math.log(row.reduce((a, z) => a + Math.exp(z), 0));
      for (let c = 0; c < 3; c++) ce -= y3[i * 3 + c]! * (row[c]! - lse);
    }
    expect(data(values, "loss/k")[0]).toBeCloseTo(ce / DIMS.batch, 6);
    expect(data(values, "pred/k").slice(0, 3).reduce((a, p) => a + p, 0)).toBeCloseTo(1, 6);

    const shift = (2 / 3) * Math.log(0.1 / 1.1);
    const logAlphas = graph.params.filter((p) => p.value.name.endsWith("/log_alpha")).map((p) => p.value.name);
    expect(logAlphas).toEqual([
      "level1/p/expert0/gates/input/log_alpha",
      "level1/shared/expert0/gates/input/log_alpha",
    ]);
    const l0 = logAlphas.flatMap((n) => data(values, n)).reduce((a, la) => a + sigmoid(la - shift), 0);
    expect(data(values, "l0")[0]).toBeCloseTo(l0, 5);
    // L2 over the rank-2 weights only: no biases, gates, numeric vectors.
    const weights = graph.params.filter((p) => p.group === "dense" && p.value.shape.length === 2).map((p) => p.value.name);
    expect(weights.every((n) => n.endsWith("/weight"))).toBe(true);
    const l2 = weights.flatMap((n) => data(values, n)).reduce((a, w) => a + w * w, 0);
    const losses = ["p", "r", "k"].map((t) => data(values, `loss/${t}`)[0]!);
    expect(data(values, "loss")[0]).toBeCloseTo(2 * losses[0]! + 0.5 * losses[1]! + losses[2]! + 0.01 * l0 + 0.001 * l2, 5);
  });

  it("outputs the predictions alone in eval mode, with the same values", () => {
    const train = run(spec, "train");
    const evalRun = run(spec, "eval");
    expect(evalRun.graph.outputs.map((v) => v.name)).toEqual(["pred/p", "pred/r", "pred/k"]);
    expect(evalRun.graph.inputs.some((v) => v.name.startsWith("label/") || v.name.startsWith("noise/"))).toBe(false);
    // Without gates in the path the two modes agree; here cssm gates differ (sampled vs deterministic).
    expect(data(evalRun.values, "fields/concat")).toEqual(data(train.values, "fields/concat"));
  });
});

describe("what is built", () => {
  it("leaves out experts nothing reads and field selections nothing reads", () => {
    const { spec, warnings } = specFromText(`fields { x numeric(dim: 2), c categorical(dim: 2) }
tasks { a binary(label: ya), b binary(label: yb) }
model m {
  groups a, b, shared
  select fields per group(form: tanh)
  level 1 { experts { a: mlp[3], b: mlp[3] }, connect: dense(sources: own) }
  level 2 { experts: mlp[3] }
  towers { tower: mlp[] }
}
`);
    expect(warnings).toEqual(["unread-output", "unread-output"]);
    const graph = lowerSpec(spec, { mode: "eval" });
    expect(params(graph).filter((n) => n.includes("shared"))).toEqual([]);
    expect(params(graph).filter((n) => n.startsWith("select/"))).toEqual(["select/a/g", "select/b/g"]);
    expect(params(graph).filter((n) => n.startsWith("level2/"))).toEqual([
      "level2/a/expert0/dense0/weight",
      "level2/a/expert0/dense0/bias",
      "level2/b/expert0/dense0/weight",
      "level2/b/expert0/dense0/bias",
    ]);
  });

  it("keeps every param deterministic from train.seed through the initialisers", () => {
    const { spec } = specFromText(TINY_MSSM);
    const graph = lowerSpec(spec, { mode: "eval" });
    const logAlpha = graph.params.find((p) => p.value.name === "level1/click/expert0/gates/input/click/log_alpha")!;
    expect(logAlpha.init).toEqual({ kind: "normal", mean: Math.log(0.7) - Math.log(0.3), std: 0.01 });
    expect(logAlpha.group).toBe("gate");
    expect(graph.params.find((p) => p.value.name === "select/click/g")!.group).toBe("gate");
    // Biases start at 0, but a regression tower's output bias, which starts at the training label mean.
    const biases = graph.params.filter((p) => p.group === "dense" && p.value.name.endsWith("/bias"));
    expect(biases.filter((p) => p.init.kind !== "zeros").map((p) => [p.value.name, p.init])).toEqual([["towers/stay/out/bias", { kind: "label_mean", task: "stay" }]]);
    expect(graph.params.filter((p) => p.value.shape.length === 2).every((p) => p.init.kind === "glorot_uniform")).toBe(true);
  });

  it("records the spec line of every node", () => {
    const { spec, locate } = specFromText(TINY_MSSM, "tiny.mssm");
    const graph = lowerSpec(spec, { mode: "train", locate });
    const doc = (name: string) => graph.nodes.find((n) => n.outputs[0]!.name === name)!.doc;
    expect(doc("fields/tags/embedding")).toBe("tiny.mssm:3");
    expect(doc("select/click/mask")).toBe("tiny.mssm:11");
    expect(doc("level1/click/expert0/dense0/xw")).toBe("tiny.mssm:12");
    expect(doc("level2/stay/expert0/gates/z")).toBe("tiny.mssm:15");
    expect(doc("level2/stay/expert0/gates/log_alpha")).toBe("tiny.mssm:15");
    expect(doc("level2/stay/expert0/gate_mask")).toBe("tiny.mssm:15");
    expect(doc("level2/stay/expert0/dense0/out")).toBe("tiny.mssm:14");
    expect(doc("towers/stay/out/xw")).toBe("tiny.mssm:17");
    expect(doc("loss/stay")).toBe("tiny.mssm:7");
    expect(doc("l0")).toBe("tiny.mssm:18");
  });
});
