// Where the eval graph holds each softmax gate's weights g = softmax(q W + b) (connections/
// softmax-gate.ts builds them in the consumer's scope as `gate/probs`), so that a tool can fetch
// them (compiler/onnx/extra-outputs.ts) and show how much each consumer uses each source.

import type { Spec } from "../load/types.js";
import { planLowering } from "./plan.js";

/** One softmax gate: who reads through it, the sources it weighs (its columns, in order), and its value. */
export interface SoftmaxGateValue {
  /** 1..L for levels, L+1 for the towers. */
  stage: number;
  /** `level 1` or `towers`. */
  label: string;
  /** The group (levels) or task (towers) that reads the mixture. */
  consumer: string;
  /** `input`, `input/<group>` or `<group>/expert<e>`, in the gate's column order. */
  sources: string[];
  /** The eval graph's value g, float32 [batch, sources]. */
  value: string;
}

/** The softmax gates a checked spec's eval graph computes, stage by stage in plan order. */
export function softmaxGateValues(spec: Spec): SoftmaxGateValue[] {
  const plan = planLowering(spec);
  return [...plan.levels, plan.towers].flatMap((consumers) =>
    consumers
      .filter((c) => c.inputNeeded && c.connect.kind === "softmax_gate")
      .map((c) => ({ stage: c.stage, label: c.atTowers ? "towers" : `level ${c.stage}`, consumer: c.name, sources: c.reads.map((r) => r.name), value: `${c.scope}/gate/probs` })),
  );
}
