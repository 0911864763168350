// The plain training step: every param and every block of embedding rows is differentiated and
// updated on its own, with state inputs of its own. This is the reference the packed step
// (pack.ts) is tested against, and what that pass starts from.
//
// A dense or gate param's state and next values are flat vectors of its elements (row-major):
// the runtime only moves their elements, and the packing pass can join them without a copy.
// Embedding rows and their state keep [rows, dim].

import { type Group, optimizerOf, rowsField } from "../artifact.js";
import type { Builder, Graph, ParamGroup, Value } from "../ir/graph.js";
import { isFloat, type Shape } from "../ir/ops.js";
import type { Train } from "../load/types.js";
import { OPTIMIZERS } from "../optim/index.js";
import type { UpdateOutputs } from "../optim/optimizer.js";
import { rowOptimizer } from "../optim/rows.js";
import { invariant } from "../../base/source/diagnostic.js";
import { flat, nextNames, numel, ownNext, ownStateInfo, type StepPlan, type Trained, type Unit, type Update } from "./unit.js";

/** The optimizer settings of the three groups. */
export type GroupOptimizers = Pick<Train, "optimizer" | "gate_optimizer" | "embedding_optimizer">;

/** The plain step's plan: `forward`'s params (in order), then its embedding rows inputs, each in a unit of its own. */
export function plainPlan(forward: Graph, train: GroupOptimizers): StepPlan {
  const trained = [...forward.params.map((p) => trainedParam(p.value, p.group, train)), ...forward.inputs.filter((v) => rowsField(v.name) !== undefined).map((v) => trainedRows(v, train))];
  return { trained, units: trained.map(tensorUnit) };
}

/** A dense or gate param, updated by its group's optimizer. */
function trainedParam(value: Value, group: ParamGroup, train: GroupOptimizers): Trained {
  invariant(group === "dense" || group === "gate", `Param %${value.name} is in group ${group}; a training step knows dense and gate.`);
  const optimizer = optimizerOf(train, group);
  const rule = OPTIMIZERS[optimizer.kind];
  return { value, group, optimizer, rule, state: rule.state(optimizer), members: [value] };
}

/** A field's gathered embedding rows (tableRowsInput) [rows, dim], updated row-wise (compiler/optim/rows.ts). */
function trainedRows(value: Value, train: GroupOptimizers): Trained {
  invariant(isFloat(value.dtype) && value.shape.length === 2, `Embedding rows %${value.name} must be a float [rows, dim] tensor.`);
  const group: Group = "embedding";
  const optimizer = optimizerOf(train, group);
  const rule = rowOptimizer(optimizer);
  return { value, group, optimizer, rule, state: rule.state(optimizer), members: [value] };
}

/** The unit that updates one tensor on its own. */
export function tensorUnit(t: Trained): Unit {
  if (t.group === "embedding") return rowsUnit(t);
  return t.rule.elementwise ? flatUnit(t) : shapedUnit(t);
}

/** A block of embedding rows: state `<rows>/<state>` shaped like the rows, updated under the rows' name. */
function rowsUnit(t: Trained): Unit {
  const v = t.value;
  return ownUnit(t, v.shape, (b, update, grad, state) => b.scope(v.name, () => update({ param: v, grad, state }, nextNames(t.state))));
}

/** A dense or gate param of an element-wise optimizer: updated as a flat vector, with flat state `<param>/<state>`. */
function flatUnit(t: Trained): Unit {
  const v = t.value;
  return ownUnit(t, [numel(v)], (b, update, grad, state) => b.scope(v.name, () => update({ param: flat(b, v, "param/flat"), grad: flat(b, grad, "grad/flat"), state }, nextNames(t.state))));
}

/**
 * A dense or gate param of an optimizer that needs its shape (a per-tensor norm): the optimizer
 * sees the param and its flat state shaped; its results are flattened back and named as the other
 * units name theirs.
 */
function shapedUnit(t: Trained): Unit {
  const v = t.value;
  const shaped = (b: Builder, x: Value, name: string) => (v.shape.length === 1 ? x : b.reshape(x, v.shape, name));
  return ownUnit(t, [numel(v)], (b, update, grad, state) => {
    const next = b.scope(v.name, () => {
      const out = update({ param: v, grad, state: state.map((x, k) => shaped(b, x, `${t.state[k]!.name}/shaped`)) }, { param: "next/shaped", state: t.state.map((s) => `${s.name}/next/shaped`) });
      return { param: flat(b, out.param, "next/flat"), state: out.state.map((x, k) => flat(b, x, `${t.state[k]!.name}/next/flat`)) };
    });
    return { param: b.identity(next.param, `${v.name}/next`), state: next.state.map((x, k) => b.identity(x, `${v.name}/${t.state[k]!.name}/next`)) };
  });
}

/** The unit of one tensor with state inputs `<tensor>/<state>` of `stateShape`; `run` builds the update. */
function ownUnit(t: Trained, stateShape: Shape, run: (b: Builder, update: Update, grad: Value, state: readonly Value[]) => UpdateOutputs): Unit {
  return {
    group: t.group,
    tensors: [t],
    build: (b, update, [grad]) => {
      const state = t.state.map((s) => b.input(`${t.value.name}/${s.name}`, t.value.dtype, stateShape));
      const next = run(b, update, grad!, state);
      return { inputs: state.map((v, k) => ownStateInfo(v, t, t.state[k]!)), next: new Map([[t.value, ownNext(t, next, state)]]), packed: [] };
    },
  };
}
