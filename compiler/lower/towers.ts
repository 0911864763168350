// Towers, the last stage: each task's tower reads the last level (or the input) through
// towers.connect, runs its hidden layers, then its output layer with no activation.

import type { Value } from "../ir/graph.js";
import type { Task } from "../load/types.js";
import type { ConsumerInput } from "./connections/types.js";
import type { LowerContext } from "./context.js";
import { mlp, type LayerSpec } from "./mlp.js";
import type { ConsumerPlan } from "./plan.js";

/** A tower's layers: hidden `dense0`, `dense1`, ... with the activation, then the linear `out`. */
export function towerLayers(tower: ConsumerPlan): LayerSpec[] {
  const hidden = tower.widths.slice(0, -1).map((width, i): LayerSpec => ({ name: `dense${i}`, width, activation: tower.activation }));
  return [...hidden, { name: "out", width: tower.widths[tower.widths.length - 1]!, activation: "linear" }];
}

/**
 * The tower's output, in the tower's scope: logits [batch, classes] for a multiclass task, else
 * one logit or value per example [batch] (`logit`).
 */
export function towerOutput(ctx: LowerContext, tower: ConsumerPlan, task: Task, input: ConsumerInput): Value {
  const out = mlp(ctx, input.x, input.width, towerLayers(tower), input.firstLayerMask);
  return task.kind === "multiclass" ? out : ctx.b.squeeze(out, [1], "logit");
}
