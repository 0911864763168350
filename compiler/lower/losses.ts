// Each task's prediction and loss, from its tower's output z:
//   binary      pred = σ(z);        L = mean(max(z, 0) - z y + log(1 + exp(-|z|)))  (BCE with logits, stable)
//   regression  pred = z;           L = mean((z - y)²)
//   multiclass  pred = softmax(z);  L = mean(-Σ_c y_c log softmax(z)_c)           (y one-hot)

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

/** The task's mean loss over the batch (taskLossOutput, a scalar); intermediates in `towers/<task>/loss`. */
export function taskLoss(ctx: LowerContext, task: Task, z: Value, y: Value): Value {
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
  if (task.kind !== "multiclass") return b.reduceMean(perExample, [0], false, taskLossOutput(task.name));
  return b.neg(b.scope(`towers/${task.name}/loss`, () => b.reduceMean(perExample, [0], false, "mean_log_likelihood")), taskLossOutput(task.name));
}
