// Towers, the last stage: each task's tower reads the last level (or the input) through
// towers.connect, runs its hidden layers, then its output layer with no activation.

import type { Value } from "../ir/graph.js";
import type { Task } from "../load/types.js";
import type { ConsumerInput } from "./connections/types.js";
import type { LowerContext } from "./context.js";
import { mlp, type LayerSpec } from "./mlp.js";
import type { ConsumerPlan } from "./plan.js";

/**
 * A tower's layers: hidden `dense0`, `dense1`, ... with the activation, then the linear `out`,
 * whose bias starts at the label mean for a regression task (an MSE near the label variance from
 * the first step, instead of near E[y²]).
 */
export function towerLayers(tower: ConsumerPlan, task: Task): LayerSpec[] {
  const hidden = tower.widths.slice(0, -1).map((width, i): LayerSpec => ({ name: `dense${i}`, width, activation: tower.activation }));
  const out: LayerSpec = { name: "out", width: tower.widths[tower.widths.length - 1]!, activation: "linear" };
  return [...hidden, task.kind === "regression" ? { ...out, biasInit: { kind: "label_mean", task: task.name } } : out];
}

/**
 * The tower's output, in the tower's scope: logits [batch, classes] for a multiclass task, else
 * one logit or value per example [batch] (`logit`).
 */
export function towerOutput(ctx: LowerContext, tower: ConsumerPlan, task: Task, input: ConsumerInput): Value {
  const out = mlp(ctx, input.x, input.width, towerLayers(tower, task), input.firstLayerGates);
  return task.kind === "multiclass" ? out : ctx.b.squeeze(out, [1], "logit");
}
