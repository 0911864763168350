// Each task's prediction and loss, from its tower's output z:
//   binary      pred = σ(z);        L = mean(max(z, 0) - z y + log(1 + exp(-|z|)))  (BCE with logits, stable)
//   regression  pred = z;           L = mean((z - y)²)
//   multiclass  pred = softmax(z);  L = mean(-Σ_c y_c log softmax(z)_c)           (y one-hot)
// With row weights w (a missing label's row 0, else its sample weight), the mean is weighted:
//   L = Σ_i w_i l_i / Σ_i w_i, and L = 0 for a batch whose weights are all 0 (no labelled row).

import { predictionOutput, taskLossOutput } from "../artifact.js";
import type { Value } from "../ir/graph.js";
import type { Task } from "../load/types.js";
import type { LowerContext } from "./context.js";

/** The task's prediction (predictionOutput): a probability [batch], a value [batch] or class probabilities [batch, classes]. */
export function prediction(ctx: LowerContext, task: Task, z: Value): Value {
  const { b } = ctx;
  switch (task.kind) {
    case "binary":
      return b.sigmoid(z, predictionOutput(task.name));
    case "regression":
      return b.identity(z, predictionOutput(task.name));
    case "multiclass":
      return b.softmax(z, 1, predictionOutput(task.name));
  }
}

/**
 * The task's mean loss over the batch (taskLossOutput, a scalar), weighted by `w` [batch] when the
 * task takes row weights; intermediates in `towers/<task>/loss`.
 */
export function taskLoss(ctx: LowerContext, task: Task, z: Value, y: Value, w?: Value): Value {
  const { b } = ctx;
  const perExample = b.scope(`towers/${task.name}/loss`, () => {
    switch (task.kind) {
      case "binary": {
        const softplus = b.log(b.add(b.constant(1, "float32"), b.exp(b.neg(b.abs(z, "abs"), "neg_abs"), "exp"), "one_plus_exp"), "softplus");
        return b.add(b.sub(b.relu(z, "max0"), b.mul(z, y, "zy"), "linear"), softplus, "per_example");
      }
      case "regression": {
        const d = b.sub(z, y, "error");
        return b.mul(d, d, "per_example");
      }
      case "multiclass":
        return b.reduceSum(b.mul(y, b.logSoftmax(z, 1, "log_probs"), "picked"), [1], false, "log_likelihood");
    }
  });
  if (w !== undefined) {
    // Σ w l / Σ w, with the denominator 1 where Σ w = 0 (then Σ w l = 0 too): a batch without a
    // labelled row gives loss 0 and gradient 0, never 0/0.
    const { numerator, denominator } = b.scope(`towers/${task.name}/loss`, () => {
      const total = b.reduceSum(w, [0], false, "weight_sum");
      const labelled = b.greater(total, b.constant(0, "float32"), "labelled");
      return {
        numerator: b.reduceSum(b.mul(perExample, w, "weighted"), [0], false, "weighted_sum"),
        denominator: b.where(labelled, total, b.constant(1, "float32"), "denominator"),
      };
    });
    if (task.kind !== "multiclass") return b.div(numerator, denominator, taskLossOutput(task.name));
    return b.neg(b.scope(`towers/${task.name}/loss`, () => b.div(numerator, denominator, "mean_log_likelihood")), taskLossOutput(task.name));
  }
  if (task.kind !== "multiclass") return b.reduceMean(perExample, [0], false, taskLossOutput(task.name));
  return b.neg(b.scope(`towers/${task.name}/loss`, () => b.reduceMean(perExample, [0], false, "mean_log_likelihood")), taskLossOutput(task.name));
}
