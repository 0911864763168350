import type { Rule } from "../rule.js";

/** Embedding rows are updated lazily, row by row; only optimizers with a row-wise form qualify. */
export const embeddingOptimizerKind: Rule = {
  code: "embedding-optimizer-kind",
  description: "The embedding optimizer is not one with a row-wise update (adam, adagrad or sgd).",
  check({ spec, report }) {
    const kind = spec.train.embedding_optimizer.kind;
    if (kind === "adam" || kind === "adagrad" || kind === "sgd") return;
    report("error", `'embedding_optimizer' must be adam, adagrad or sgd (the optimizers that update embedding rows one at a time), not ${kind}.`, "/train/embedding_optimizer/kind");
  },
};
