// The graph inputs (the runtime's interface, in order) and the field embeddings built from them.
//
// Embedding tables stay outside the graph (docs/design.md, "The compiled artifact"): for each
// categorical or multi_hot field the runtime gathers the batch's unique rows (tableRowsInput) and
// passes each example's position in them (tableIndexInput); a multi_hot field also passes its
// pooling weights (tableWeightInput: 1 for sum, 1/len for mean, 0 for padding). Numeric fields
// arrive standardized, as one `numeric` matrix. The names come from compiler/artifact.ts.

import { labelInput, noiseInput, rowWeightInput, tableIndexInput, tableRowsInput, tableWeightInput } from "../artifact.js";
import type { Value } from "../ir/graph.js";
import { BATCH } from "../ir/ops.js";
import { invariant } from "../../base/source/diagnostic.js";
import type { Field } from "../load/types.js";
import type { LowerContext } from "./context.js";
import { fieldPointer } from "./names.js";
import type { GateGroup } from "./plan.js";

/** The inputs of one table-backed field. */
export interface EmbeddingInputs {
  readonly rows: Value;
  readonly index: Value;
  /** multi_hot only. */
  readonly weight?: Value;
}

/** Every graph input, by role. */
export interface GraphInputs {
  readonly embeddings: ReadonlyMap<string, EmbeddingInputs>;
  readonly numeric?: Value;
  /** Labels by task (train mode). */
  readonly labels: ReadonlyMap<string, Value>;
  /** Row weights by task (train mode, only the tasks in LowerContext.rowWeights). */
  readonly rowWeights: ReadonlyMap<string, Value>;
  /** Noise by gate group (train mode). */
  readonly noise: ReadonlyMap<string, Value>;
}

/** The symbolic number of unique rows of a field in a batch. */
export function rowsDim(field: string): string {
  return `rows_${field}`;
}

/** The symbolic list length of a multi_hot field in a batch. */
export function lengthDim(field: string): string {
  return `len_${field}`;
}

/** Range of `numeric` that a numeric field occupies: its index among the numeric fields. */
function numericIndex(fields: readonly Field[], field: Field): number {
  return fields.filter((f) => f.kind === "numeric").findIndex((f) => f.name === field.name);
}

/**
 * Declares the inputs in interface order: the embedding inputs of each categorical and multi_hot
 * field (in field order), `numeric`, then in train mode each task's label (task order), the row
 * weights of the tasks that take them (task order) and each gate group's noise (plan order).
 */
export function declareInputs(ctx: Pick<LowerContext, "b" | "spec" | "mode" | "rowWeights">, gateGroups: readonly GateGroup[]): GraphInputs {
  const { b, spec } = ctx;
  const embeddings = new Map<string, EmbeddingInputs>();
  for (const f of spec.fields) {
    if (f.kind === "numeric") continue;
    const rows = b.input(tableRowsInput(f.name), "float32", [rowsDim(f.name), f.dim]);
    if (f.kind === "categorical") embeddings.set(f.name, { rows, index: b.input(tableIndexInput(f.name), "int64", [BATCH]) });
    else {
      const index = b.input(tableIndexInput(f.name), "int64", [BATCH, lengthDim(f.name)]);
      embeddings.set(f.name, { rows, index, weight: b.input(tableWeightInput(f.name), "float32", [BATCH, lengthDim(f.name)]) });
    }
  }
  const numericCount = spec.fields.filter((f) => f.kind === "numeric").length;
  const numeric = numericCount > 0 ? b.input("numeric", "float32", [BATCH, numericCount]) : undefined;
  const labels = new Map<string, Value>();
  const rowWeights = new Map<string, Value>();
  const noise = new Map<string, Value>();
  if (ctx.mode === "train") {
    for (const t of spec.tasks) labels.set(t.name, b.input(labelInput(t.name), "float32", t.kind === "multiclass" ? [BATCH, t.classes] : [BATCH]));
    for (const t of spec.tasks) if (ctx.rowWeights.has(t.name)) rowWeights.set(t.name, b.input(rowWeightInput(t.name), "float32", [BATCH]));
    for (const g of gateGroups) noise.set(g.name, b.input(noiseInput(g.name), "float32", g.noise));
  }
  return { embeddings, ...(numeric ? { numeric } : {}), labels, rowWeights, noise };
}

/** Small uniform range of the numeric fields' vectors v (e = x·v on standardized x). */
export const NUMERIC_VECTOR_INIT = { kind: "uniform", low: -0.05, high: 0.05 } as const;

/**
 * The embedding e_f [batch, dim] of every field, in field order: a row lookup (categorical), a
 * weighted sum of row lookups (multi_hot), or x·v with a learned v (numeric).
 */
export function embedFields(ctx: LowerContext, inputs: GraphInputs): Value[] {
  const { b, spec } = ctx;
  const numericCount = spec.fields.filter((f) => f.kind === "numeric").length;
  return spec.fields.map((f, i) =>
    b.at(ctx.locate(fieldPointer(i)), () =>
      b.scope(`fields/${f.name}`, () => {
        if (f.kind === "numeric") {
          invariant(inputs.numeric !== undefined, "A numeric field needs the numeric input.");
          const k = numericIndex(spec.fields, f);
          // x_f: [batch, 1], column k of the standardized numeric inputs.
          const x = numericCount === 1 ? inputs.numeric : b.slice(inputs.numeric, { axes: [1], starts: [k], ends: [k + 1] }, "x");
          const v = b.param("vector", [f.dim], NUMERIC_VECTOR_INIT);
          return b.mul(x, v, "embedding");
        }
        const e = inputs.embeddings.get(f.name)!;
        if (f.kind === "categorical") return b.gather(e.rows, e.index, 0, "embedding");
        // Σ_l weight[l] · rows[index[l]]: sum or mean pooling, padding weighted 0.
        const gathered = b.gather(e.rows, e.index, 0, "gathered");
        const weighted = b.mul(gathered, b.unsqueeze(e.weight!, [2], "pool_weight"), "weighted");
        return b.reduceSum(weighted, [1], false, "embedding");
      }),
    ),
  );
}

/** E = [e_1, ..., e_n]: the concatenated field embeddings [batch, D] (the shared input). */
export function concatFields(ctx: LowerContext, embeddings: readonly Value[]): Value {
  return embeddings.length === 1 ? embeddings[0]! : ctx.b.concat(embeddings, 1, "fields/concat");
}
