// The packing pass over a plain step's plan: the same tensors, updated in fewer, larger units.
// onnxruntime-node spends about 2 µs per input and per output of a run (bench/ort-overhead.ts),
// and the MSSM step had 126 such inputs and as many outputs; each update is a handful of nodes.
// Where a group's optimizer updates element by element, updating several tensors joined end to
// end gives each exactly its own update, bit for bit, so the pass
// - trains each pack (params the forward reads only concatenated) as its Concat: one gradient;
// - updates all dense (all gate) tensors of the group as one flat vector, whose params are one
//   input `optim/<group>/params` (the forward reads each param as a piece of it, read-packed.ts)
//   and each kind of state one input `optim/<group>/<state>`, each with one next output; the
//   manifest's `members` says whose elements lie where;
// - updates embedding row blocks of one width joined along their rows (row counts are run-time
//   sizes), cut back per field; their inputs stay one per field, as the runtime gathers them.
// A tensor alone in its group, or of an optimizer that is not element-wise, keeps its plain unit.

import { packedParamsInput, packedStateInput } from "../artifact.js";
import type { Graph, Node, Value } from "../ir/graph.js";
import { tensorUnit } from "./plain.js";
import { flat, type Member, type Next, nextNames, numel, optimizerScope, ownNext, ownStateInfo, type StepPlan, type Trained, type Unit } from "./unit.js";
import { tensorInfo } from "../tensor-info.js";

/** The plan with packs trained as one tensor and each element-wise group's tensors updated together. */
export function packPlan(forward: Graph, plain: StepPlan): StepPlan {
  const packs = packsOf(forward, new Map(plain.trained.map((t) => [t.value, t])));
  const packed = new Set([...packs.values()].flatMap((n) => n.inputs));
  const trained = plain.trained.flatMap((t): Trained[] => {
    const pack = packs.get(t.value);
    if (pack) return [{ ...t, value: pack.outputs[0]!, members: pack.inputs }];
    return packed.has(t.value) ? [] : [t];
  });
  // Units in the order of their first tensor: a group's dense or gate tensors all at once, its
  // row blocks all at once per width, any other tensor on its own.
  const together: Trained[][] = [];
  const byKey = new Map<string, Trained[]>();
  for (const t of trained) {
    if (!t.rule.elementwise) {
      together.push([t]);
      continue;
    }
    const key = t.group === "embedding" ? `embedding/${String(t.value.shape[1])}` : t.group;
    if (!byKey.has(key)) together.push(byKey.set(key, []).get(key)!);
    byKey.get(key)!.push(t);
  }
  const units = together.map((ts) => (ts.length === 1 && ts[0]!.members.length === 1 ? tensorUnit(ts[0]!) : ts[0]!.group === "embedding" ? joinedRowsUnit(ts) : flatPackUnit(ts)));
  return { trained, units };
}

/**
 * The packs of a forward graph, by their first member: Concat nodes along axis 0 of two or more
 * params of one dense or gate group with an element-wise optimizer, read by nothing else (a gate
 * pack, compiler/lower/gates.ts; the biases of merged sibling matmuls, compiler/ir/merge-matmuls.ts).
 */
function packsOf(forward: Graph, trained: ReadonlyMap<Value, Trained>): Map<Value, Node> {
  const uses = new Map<Value, number>();
  for (const v of forward.outputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of forward.nodes) for (const v of n.inputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  const packs = new Map<Value, Node>();
  for (const n of forward.nodes) {
    if (n.op !== "Concat" || n.attrs.axis !== 0 || n.inputs.length < 2) continue;
    const first = trained.get(n.inputs[0]!);
    if (first === undefined || first.group === "embedding" || !first.rule.elementwise) continue;
    if (!n.inputs.every((v) => trained.get(v)?.group === first.group && uses.get(v) === 1)) continue;
    packs.set(n.inputs[0]!, n);
  }
  return packs;
}

/**
 * Dense or gate tensors of one group as one flat vector: params `optim/<group>/params`, state
 * `optim/<group>/<state>`, each member end to end; the gradient is the tensors' gradients joined.
 */
function flatPackUnit(tensors: readonly Trained[]): Unit {
  const { group, state: specs } = tensors[0]!;
  const members = tensors.flatMap((t) => t.members);
  const size = members.reduce((a, m) => a + numel(m), 0);
  const membersAs = (suffix: string): Member[] => members.map((m) => ({ name: `${m.name}${suffix}`, of: m.name, size: numel(m) }));
  return {
    group,
    tensors,
    build: (b, update, grads) => {
      const dtype = tensors[0]!.value.dtype;
      const params = b.input(packedParamsInput(group), dtype, [size]);
      const state = specs.map((s) => b.input(packedStateInput(group, s.name), dtype, [size]));
      const paramMembers = membersAs("");
      const stateMembers = specs.map((s) => membersAs(`/${s.name}`));
      // Under the group's scope, so the results are `optim/<group>/params/next` and `optim/<group>/<state>/next`.
      const next = b.scope(optimizerScope(group), () => {
        const grad = grads.length === 1 ? flat(b, grads[0]!, "flat/grad/flat") : b.concat(grads.map((g, k) => flat(b, g, `flat/grad/${k}`)), 0, "flat/grad");
        return update({ param: params, grad, state }, nextNames(specs, "params/next"));
      });
      const packed: Next[] = [{ value: next.param, of: params.name, members: paramMembers }, ...next.state.map((value, k) => ({ value, of: state[k]!.name, members: stateMembers[k]! }))];
      return {
        inputs: [
          tensorInfo(params, "param", { group, members: paramMembers }),
          ...state.map((v, k) => tensorInfo(v, "state", { group, state: specs[k]!.name, init: specs[k]!.init, members: stateMembers[k]! })),
        ],
        next: new Map(),
        packed,
        reads: { input: params, params: members },
      };
    },
  };
}

/** Embedding row blocks of one width, joined along their rows for one update and cut back per block. */
function joinedRowsUnit(tensors: readonly Trained[]): Unit {
  const { group, state: specs } = tensors[0]!;
  return {
    group,
    tensors,
    build: (b, update, grads) => {
      const state = tensors.map((t) => specs.map((s) => b.input(`${t.value.name}/${s.name}`, t.value.dtype, t.value.shape)));
      const join = (vs: readonly Value[], name: string) => b.concat(vs, 0, name);
      const next = b.scope(`${optimizerScope(group)}/rows${String(tensors[0]!.value.shape[1])}`, () =>
        update(
          { param: join(tensors.map((t) => t.value), "rows"), grad: join(grads, "grad"), state: specs.map((s, k) => join(state.map((own) => own[k]!), s.name)) },
          nextNames(specs, "rows/next"),
        ),
      );
      const rows = tensors.map((t) => t.value.shape[0]!);
      const cut = (v: Value, suffix: string) => b.split(v, 0, rows, tensors.map((t) => `${t.value.name}${suffix}`));
      const params = cut(next.param, "/next");
      const states = next.state.map((v, k) => cut(v, `/${specs[k]!.name}/next`));
      return {
        inputs: tensors.flatMap((t, j) => state[j]!.map((v, k) => ownStateInfo(v, t, specs[k]!))),
        next: new Map(tensors.map((t, j) => [t.value, ownNext(t, { param: params[j]!, state: states.map((vs) => vs[j]!) }, state[j]!)])),
        packed: [],
      };
    },
  };
}
