// For every zoo model, one step of SGD moves parameters exactly as computed by hand. Each zoo
// spec with plain SGD (momentum 0, weight decay 0) in all three groups, a different rate per
// group; one step in onnxruntime on a small random batch, with the gradients output next to the
// updates. By hand, in float32: p' = fround(p − fround(lr · g)), one rounding per
// op as the graph's Mul and Sub are written. onnxruntime's CPU kernels round each element-wise op
// exactly so (no fused multiply-add, no reassociation): every p/next matches bit for bit.

import { describe, expect, it } from "vitest";
import { trainingForward } from "../../compiler/compile.js";
import { lowerSpec } from "../../compiler/lower/lower-spec.js";
import { emitModel } from "../../compiler/onnx/emit.js";
import { normalizeOptimizer } from "../../compiler/load/normalize.js";
import type { Spec } from "../../compiler/load/types.js";
import type { Group } from "../../compiler/artifact.js";
import { buildTrainStep } from "../../compiler/train-step.js";
import { openModel } from "./autodiff/gradcheck.js";
import type { RefTensor } from "./ir/reference.js";
import { paramFeeds, randomFeeds, ZOO, zooSpec } from "./lower/helpers.js";

/** Rates that differ per group (and are not powers of two), so a group fed the wrong rate shows. */
const LR: Record<Group, number> = { dense: 0.03, gate: 0.7, embedding: 0.11 };

/** The spec with plain SGD in every group. */
function withSgd(spec: Spec): Spec {
  const sgd = (lr: number) => normalizeOptimizer({ kind: "sgd", lr, momentum: 0, weight_decay: 0 });
  return { ...spec, train: { ...spec.train, optimizer: sgd(LR.dense), gate_optimizer: sgd(LR.gate), embedding_optimizer: sgd(LR.embedding) } };
}

/** Distance in float32 units in the last place between two float32 values of the same sign. */
function ulps(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0]! - bits[1]!);
}

describe("one SGD step of every zoo model moves each parameter by exactly lr · gradient", () => {
  /** Per zoo model whose step was compared to its end. */
  const compared: { file: string; tensors: number; elements: number; moved: number; worst: number }[] = [];
  for (const file of ZOO) {
    it(file, async () => {
      const spec = withSgd(zooSpec(file).spec);
      const forward = lowerSpec(spec, { mode: "train" });
      // As compileSpec builds it: gate packs are updated at once, their members split back.
      const step = buildTrainStep(trainingForward(forward), { train: spec.train, gradients: true });
      expect(step.inputs.filter((t) => t.role === "state")).toEqual([]);

      const feeds: Record<string, RefTensor> = { ...randomFeeds(forward, spec, 3), ...paramFeeds(forward, 4) };
      const scalar = (v: number): RefTensor => ({ dtype: "float32", shape: [], data: [Math.fround(v)] });
      for (const t of step.inputs) {
        if (t.role === "step") feeds[t.name] = scalar(1);
        if (t.role === "lr") feeds[t.name] = scalar(LR[t.group!]);
        // A packed param input: its params end to end.
        if (t.role === "param" && t.members) feeds[t.name] = { dtype: "float32", shape: t.shape as number[], data: t.members.flatMap((m) => feeds[m.name]!.data as number[]) };
      }
      const model = await openModel(emitModel(step.graph, { params: "inputs" }));
      const out = await model.run(feeds).finally(() => model.release());

      const updated = step.outputs.filter((o) => o.role === "next");
      const trained = step.inputs.filter((t) => t.role === "param" || t.role === "rows");
      expect(updated.map((o) => o.of).sort()).toEqual(trained.map((t) => t.name).sort());
      let elements = 0;
      let moved = 0;
      let worst = 0;
      for (const o of updated) {
        const p = feeds[o.of!]!.data as number[];
        const members = step.inputs.find((t) => t.name === o.of)!.members;
        const g = members ? members.flatMap((m) => out[`grad/${m.name}`]!.data as number[]) : (out[`grad/${o.of}`]!.data as number[]);
        const next = out[o.name]!.data as number[];
        const lr = Math.fround(LR[o.group!]);
        expect(next.length, o.of).toBe(p.length);
        const wrong: string[] = [];
        next.forEach((v, i) => {
          const byHand = Math.fround(p[i]! - Math.fround(lr * g[i]!));
          worst = Math.max(worst, ulps(v, byHand));
          if (!Object.is(v, byHand)) wrong.push(`[${i}] ${v} != ${byHand} = ${p[i]} - ${lr} * ${g[i]}`);
          if (v !== p[i]) moved++;
        });
        elements += p.length;
        expect(wrong.slice(0, 3), o.of).toEqual([]);
      }
      // The check means something only if the step moves most of the model.
      expect(moved / elements).toBeGreaterThan(0.5);
      compared.push({ file, tensors: updated.length, elements, moved, worst });
    });
  }
  it("prints what it compared: every zoo model, all of its tensors, 0 ulp from the hand computation", () => {
    console.log(compared.map((c) => `${c.file}: ${c.tensors} tensors, ${c.elements} elements, ${c.moved} moved, max ${c.worst} ulp`).join("\n"));
    expect(compared.map((c) => c.file)).toEqual(ZOO);
    for (const c of compared) {
      expect(c.worst, c.file).toBe(0);
      expect(c.moved / c.elements, c.file).toBeGreaterThan(0.5);
    }
  });
});
