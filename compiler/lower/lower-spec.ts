// The driver: a checked, normalized Spec -> the forward IR graph, in "train" mode (stochastic L0
// gates fed by noise inputs, labels, per-task losses, L0 and L2 terms, the scalar `loss`) or
// "eval" mode (deterministic gates; predictions only). plan.ts decides what exists; this file
// builds it stage by stage: inputs and field embeddings, stage 0 (the shared input or one
// field-selected input per group), each level's consumers (connection, then experts), the towers,
// then the heads and losses.
//
// The interface (names, order, shapes) is the runtime's contract; specs/language.md, "The
// compiled graphs", documents it.

import { Builder, type Graph, type Value } from "../ir/graph.js";
import { invariant } from "../../base/source/diagnostic.js";
import type { Spec } from "../load/types.js";
import { CONNECTIONS } from "./connections/index.js";
import type { ConsumerInput, SourceValue } from "./connections/types.js";
import type { Locate, LowerContext, LowerMode } from "./context.js";
import { selectFields } from "./field-selection.js";
import { concatFields, declareInputs, embedFields } from "./inputs.js";
import { gateGroupOf } from "./gates.js";
import { prediction, taskLoss } from "./losses.js";
import { expertLayers, mlp } from "./mlp.js";
import { expertName, expertOutputName, SHARED_INPUT, selectedInputName, taskPointer } from "./names.js";
import { planLowering, type ConsumerPlan, type Query } from "./plan.js";
import { jointLoss, l0Term, l2Term } from "./regularizers.js";
import { towerOutput } from "./towers.js";

/** How to lower a spec. */
export interface LowerOptions {
  mode: LowerMode;
  /** Spec location of a JSON pointer, recorded as each node's doc (default: none). */
  locate?: Locate;
  /**
   * Train mode: the tasks whose loss is a weighted mean with a row-weight input (compiler/artifact.ts,
   * rowWeightInput) instead of a plain mean (default: none).
   */
  rowWeights?: ReadonlySet<string>;
  /**
   * A layer reading several groups' field-selected copies multiplies their masks into its weight
   * (compiler/lower/connections/cssm.ts); default: in train mode only, so eval.onnx keeps the copies
   * export's pruning follows.
   */
  foldFieldCopies?: boolean;
}

/** The forward graph of a checked, normalized spec. */
export function lowerSpec(spec: Spec, options: LowerOptions): Graph {
  const plan = planLowering(spec);
  const b = new Builder(spec.model, `${spec.model}: forward pass, ${options.mode} mode`);
  const locate = options.locate ?? (() => "");
  const rowWeights = options.rowWeights ?? new Set<string>();
  const inputs = declareInputs({ b, spec, mode: options.mode, rowWeights }, plan.gateGroups);
  const foldFieldCopies = options.foldFieldCopies ?? options.mode === "train";
  const ctx: LowerContext = { b, spec, mode: options.mode, foldFieldCopies, locate, rowWeights, noise: inputs.noise, logAlphas: [], l0Inputs: [], weights: [] };

  // Stage 0: E, then the shared input or each read group's field-selected input.
  const fields = b.at(locate("/fields"), () => concatFields(ctx, embedFields(ctx, inputs)));
  let previous = new Map<string, Value>();
  if (!spec.select_fields) previous.set(SHARED_INPUT, fields);
  for (const group of plan.selected) previous.set(selectedInputName(group), b.at(locate("/select_fields"), () => selectFields(ctx, fields, group)));
  const stage0 = previous;

  // What each consumer's experts read, for later softmax gates' queries.
  const consumerInputs = new Map<string, Value>();
  const inputKey = (stage: number, name: string) => `${stage}\u0000${name}`;
  const query = (q: Query | undefined) => (): Value => {
    invariant(q !== undefined, "A softmax gate was planned without a query.");
    if (q.kind === "fields") return fields;
    const v = q.kind === "selected" ? stage0.get(selectedInputName(q.group)) : consumerInputs.get(inputKey(q.stage, q.name));
    invariant(v !== undefined, `The query ${JSON.stringify(q)} was not built before its gate.`);
    return v;
  };
  const connect = (c: ConsumerPlan, sources: ReadonlyMap<string, Value>): ConsumerInput => {
    const values: SourceValue[] = c.reads.map((r) => {
      const value = sources.get(r.name);
      invariant(value !== undefined, `${c.scope} reads ${r.name}, which was not built.`);
      return { name: r.name, value, width: r.producer.width };
    });
    const input = b.at(locate(c.connectPointer), () => CONNECTIONS[c.connect.kind](ctx, c, values, query(c.query)));
    consumerInputs.set(inputKey(c.stage, c.name), input.x);
    return input;
  };

  plan.levels.forEach((consumers) => {
    const outputs = new Map<string, Value>();
    for (const c of consumers) {
      if (!c.inputNeeded) continue;
      b.scope(c.scope, () => {
        const input = connect(c, previous);
        if (!c.built) return;
        b.at(locate(c.pointer), () => {
          for (let e = 0; e < c.count; e++) {
            const out = b.scope(expertName(e), () => mlp(ctx, input.x, input.width, expertLayers(c.widths, c.activation), input.firstLayerGates));
            outputs.set(expertOutputName(c.name, e), out);
          }
        });
      });
    }
    previous = outputs;
  });

  const heads = plan.towers.map((c, k) => {
    const task = spec.tasks[k]!;
    invariant(task.name === c.name, `Tower ${k} is ${c.name}, task ${k} is ${task.name}.`);
    const z = b.scope(c.scope, () => {
      const input = connect(c, previous);
      return b.at(locate(c.pointer), () => towerOutput(ctx, c, task, input));
    });
    return b.at(locate(taskPointer(k)), () => ({ task, z, pred: prediction(ctx, task, z) }));
  });

  if (options.mode === "train") {
    const losses = heads.map((h, k) =>
      b.at(locate(taskPointer(k)), () => ({ weight: h.task.weight, loss: taskLoss(ctx, h.task, h.z, inputs.labels.get(h.task.name)!, inputs.rowWeights.get(h.task.name)) })),
    );
    const l0 = b.at(locate("/regularize"), () => l0Term(ctx));
    const l2 = spec.regularize.l2 !== 0 ? b.at(locate("/regularize"), () => l2Term(ctx)) : undefined;
    b.output(b.at(locate("/regularize"), () => jointLoss(ctx, losses, l0, l2)));
    for (const l of losses) b.output(l.loss);
    b.output(l0);
  }
  for (const h of heads) b.output(h.pred);
  // Every planned gate group was built (so every noise input is read), in the planned order.
  const built = ctx.logAlphas.map(gateGroupOf).join("\n");
  invariant(built === plan.gateGroups.map((g) => g.name).join("\n"), `The gate groups built differ from the plan:\n${built}`);
  return b.finish();
}
