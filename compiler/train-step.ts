// One training step as a pure function (DESIGN §4): the forward graph, its backward pass and the
// optimizer updates in one graph. Parameters become inputs (emit with params: "inputs"), next to
// their optimizer state, the step count and one learning rate per group; the outputs are the
// forward outputs, then the next value of every parameter, state tensor, embedding row block and
// row state. The runtime feeds each `<x>/next` back as `<x>` on the next step.
//
// A dense or gate parameter's optimizer state and its next values are flat vectors of its
// elements (row-major): the optimizer updates a group's tensors as one flat vector, so keeping
// them flat spares a copy in and out per tensor. The runtime only moves their elements; it feeds a
// next value back with its input's shape. Embedding rows and their state keep [rows, dim]. Where
// a group's tensors are updated together, their params are one input (`optim/<group>/params`, the
// forward reading each param as a piece of it) and each kind of state is one input
// (`optim/<group>/<state>`), each with one next output; `members` says whose values lie where.
// onnxruntime-node spends about 2 µs per input and per output of a run (bench/ort-overhead.ts),
// and the MSSM step had 126 such inputs and as many outputs. Embedding row blocks of one width are
// joined along their rows for one row-wise update and cut back per field.
//
// Groups: params of group "dense" use train.optimizer, "gate" train.gate_optimizer; the gathered
// embedding rows (inputs `emb/<field>/rows`, [rows_<field>, dim]) use train.embedding_optimizer,
// row-wise (compiler/optim/rows.ts). `step` and the learning rates `lr/<group>` are scalars of the
// loss's element type (float32 in every lowered model); all three rates are inputs even when a
// group is empty, so the runtime's interface does not depend on the model.

import { GROUP_OPTIMIZER, type Group, type Role } from "./artifact.js";
import { grad, GRAD_PREFIX } from "./autodiff/grad.js";
import { copyNode, declareLeaves } from "./ir/copy.js";
import { Builder, type Graph, type Node, type Value } from "./ir/graph.js";
import { isFloat, type DType, type Shape } from "./ir/ops.js";
import { OPTIMIZERS } from "./optim/index.js";
import type { OptimizerRule, StateSpec, StepScalars, UpdateInputs, UpdateNames, UpdateOutputs } from "./optim/optimizer.js";
import { rowOptimizer } from "./optim/rows.js";
import { invariant } from "../base/source/diagnostic.js";
import type { Optimizer, Train } from "./load/types.js";

/** The gathered rows of one field's embedding table: `emb/<field>/rows`. */
export const ROWS_INPUT = /^emb\/(.+)\/rows$/;

/** How to build the step. */
export interface TrainStepOptions {
  /** The optimizers, as in a checked spec's `train` section. */
  readonly train: Pick<Train, "optimizer" | "gate_optimizer" | "embedding_optimizer">;
  /** Also output d loss / d each param and rows block (`grad/<name>`) after the forward outputs. */
  readonly gradients?: boolean;
  /**
   * Update each element-wise group's tensors as one flat vector, and packs of params the forward
   * reads only concatenated as one tensor (default true). false updates every tensor on its own:
   * the reference the packed step is tested against.
   */
  readonly packs?: boolean;
}

/** What a tensor of the step is for (compiler/artifact.ts). */
export type TrainStepRole = Role;

/** One input or output of the step, for the artifact's manifest. */
export interface TrainStepTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly role: TrainStepRole;
  /** param, rows, state, lr, gradient, next: the group whose optimizer updates it. */
  readonly group?: Group;
  /** state: the param or rows it belongs to; gradient: the param or rows; next: the input it replaces. */
  readonly of?: string;
  /** state: its kind (`adam_m`, `adam_v`, `momentum`, `adagrad_sum`). */
  readonly state?: string;
  /** state: the value every element starts at. */
  readonly init?: number;
  /**
   * A packed input (and its next value): several params (`optim/<group>/params`) or their states
   * (`optim/<group>/<state>`) end to end, each member named as its own input would be (the param,
   * or `<param>/<state>`), `size` elements of the param `of`.
   */
  readonly members?: readonly StateMember[];
}

/** One param, or one param's state, inside a packed input. */
export interface StateMember {
  readonly name: string;
  readonly of: string;
  readonly size: number;
}

/** The step graph and its interface, inputs in emitted order (declared inputs, then params). */
export interface TrainStep {
  readonly graph: Graph;
  readonly inputs: readonly TrainStepTensor[];
  readonly outputs: readonly TrainStepTensor[];
  /** The forward values the backward reads (kept from forward to backward), by name. */
  readonly saved: readonly string[];
}

const typed = (v: Value) => ({ name: v.name, dtype: v.dtype, shape: v.shape });

/** The number of elements of a statically shaped value. */
const numel = (v: Value) => (v.shape as number[]).reduce((a, d) => a * d, 1);

/**
 * A tensor the optimizer updates: a param, a block of embedding rows, or a pack of params the
 * forward reads only concatenated (`members`; the value is their Concat): their updates are
 * element-wise, so updating the pack at once gives each member exactly its own update, with one
 * set of optimizer nodes instead of one per member.
 */
interface Trained {
  readonly value: Value;
  readonly group: Group;
  readonly optimizer: Optimizer;
  readonly rule: OptimizerRule;
  readonly state: readonly StateSpec[];
  readonly members?: readonly Value[];
}

/**
 * The packs of a forward graph, by their first member: Concat nodes along axis 0 of two or more
 * params of one group that nothing else reads (a gate pack, compiler/lower/gates.ts; the biases
 * of merged sibling matmuls, compiler/ir/merge-matmuls.ts), where the group's optimizer updates
 * element by element.
 */
function packsOf(forward: Graph, elementwise: (group: string) => boolean): Map<Value, Node> {
  const group = new Map(forward.params.map((p) => [p.value, p.group]));
  const uses = new Map<Value, number>();
  for (const v of forward.outputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of forward.nodes) for (const v of n.inputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  const packs = new Map<Value, Node>();
  for (const n of forward.nodes) {
    if (n.op !== "Concat" || n.attrs.axis !== 0 || n.inputs.length < 2) continue;
    const first = group.get(n.inputs[0]!);
    if (first === undefined || !elementwise(first) || !n.inputs.every((v) => group.get(v) === first && uses.get(v) === 1)) continue;
    packs.set(n.inputs[0]!, n);
  }
  return packs;
}

/** Builds the training step for a train-mode forward graph whose scalar output "loss" is minimized. */
export function buildTrainStep(forward: Graph, options: TrainStepOptions): TrainStep {
  const loss = forward.outputs.find((o) => o.name === "loss");
  invariant(loss !== undefined, `Graph ${forward.name} has no output named loss.`);
  const optimizerOf = (group: Group) => options.train[GROUP_OPTIMIZER[group]];
  const packing = options.packs ?? true;
  const packs = packing ? packsOf(forward, (group) => (group === "dense" || group === "gate") && OPTIMIZERS[optimizerOf(group).kind].elementwise) : new Map<Value, Node>();
  const packed = new Set([...packs.values()].flatMap((n) => n.inputs));
  const trained: Trained[] = [
    ...forward.params.flatMap((p): Trained[] => {
      const group = p.group;
      invariant(group === "dense" || group === "gate", `Param %${p.value.name} is in group ${group}; a training step knows dense and gate.`);
      const optimizer = optimizerOf(group);
      const rule = OPTIMIZERS[optimizer.kind];
      const pack = packs.get(p.value);
      if (pack) return [{ value: pack.outputs[0]!, group, optimizer, rule, state: rule.state(optimizer), members: pack.inputs }];
      return packed.has(p.value) ? [] : [{ value: p.value, group, optimizer, rule, state: rule.state(optimizer) }];
    }),
    ...forward.inputs
      .filter((v) => ROWS_INPUT.test(v.name))
      .map((v): Trained => {
        invariant(isFloat(v.dtype) && v.shape.length === 2, `Embedding rows %${v.name} must be a float [rows, dim] tensor.`);
        const optimizer = optimizerOf("embedding");
        const rule = rowOptimizer(optimizer);
        return { value: v, group: "embedding", optimizer, rule, state: rule.state(optimizer) };
      }),
  ];

  // The finished step is verified once, below; so grad does not verify its part of it.
  const differentiated = grad(forward, loss, trained.map((t) => t.value), { verify: false });
  const b = Builder.extend(differentiated.graph);
  const dtype = loss.dtype;
  const step = b.input("step", dtype, []);
  const lr = Object.fromEntries((Object.keys(GROUP_OPTIMIZER) as Group[]).map((g) => [g, b.input(`lr/${g}`, dtype, [])])) as Record<Group, Value>;
  // The update units: an element-wise group's dense or gate tensors all at once, and its embedding
  // row blocks of one width all at once (joined along their rows, whose counts are run-time
  // sizes); any other tensor on its own.
  const units: number[][] = [];
  const flatUnit = new Map<string, number[]>();
  trained.forEach((t, i) => {
    if (!packing || !t.rule.elementwise) return units.push([i]);
    const key = t.group === "embedding" ? `embedding/${String(t.value.shape[1])}` : t.group;
    if (!flatUnit.has(key)) units.push(flatUnit.set(key, []).get(key)!);
    flatUnit.get(key)!.push(i);
  });
  const membersOf = (unit: readonly number[]) => unit.flatMap((i) => (trained[i]!.members ?? [trained[i]!.value]).map((m, j) => ({ i, j, m })));
  // A unit of several tensors keeps each kind of state as one input, `optim/<group>/<state>`, its
  // members end to end (see the header); any other tensor has its own state inputs, member by
  // member: flat for dense and gate params, shaped like the rows for embedding rows.
  const packedState = new Map<readonly number[], { value: Value; members: StateMember[] }[]>();
  // Such a unit's params are one input too, `optim/<group>/params`: the forward reads each param as
  // a piece of it (rewired once the step is built, below), and the update writes it whole.
  const packedParams = new Map<readonly number[], { value: Value; members: StateMember[]; params: Value[] }>();
  const stateInputs: Value[][][] = [];
  for (const unit of units) {
    const members = membersOf(unit);
    const first = trained[unit[0]!]!;
    if (members.length > 1 && first.group !== "embedding") {
      packedParams.set(unit, {
        value: b.input(`optim/${first.group}/params`, first.value.dtype, [members.reduce((a, { m }) => a + numel(m), 0)]),
        members: members.map(({ m }) => ({ name: m.name, of: m.name, size: numel(m) })),
        params: members.map(({ m }) => m),
      });
      packedState.set(
        unit,
        first.state.map((st) => ({
          value: b.input(`optim/${first.group}/${st.name}`, first.value.dtype, [members.reduce((a, { m }) => a + numel(m), 0)]),
          members: members.map(({ m }) => ({ name: `${m.name}/${st.name}`, of: m.name, size: numel(m) })),
        })),
      );
      continue;
    }
    for (const i of unit) {
      const t = trained[i]!;
      stateInputs[i] = (t.members ?? [t.value]).map((m) => t.state.map((st) => b.input(`${m.name}/${st.name}`, m.dtype, t.group === "embedding" ? m.shape : [numel(m)])));
    }
  }

  // Each group's shared scalars (bias corrections, ...) are built once, before its first update.
  const updaters = new Map<Group, (x: UpdateInputs, names: UpdateNames) => UpdateOutputs>();
  const updaterOf = (t: Trained) => {
    const scalars: StepScalars = { lr: lr[t.group], step };
    if (!updaters.has(t.group)) updaters.set(t.group, b.scope(`optim/${t.group}`, () => t.rule.begin(b, t.optimizer, scalars)));
    return updaters.get(t.group)!;
  };

  const outputs: TrainStepTensor[] = forward.outputs.map((o) => ({ ...typed(o), role: "output" }));
  // A pack's tensor split back into its members, named `<member><suffix>`.
  const unpack = (t: Trained, v: Value, name: (member: Value) => string): Value[] =>
    t.members ? b.split(v, 0, t.members.map((m) => m.shape[0] as number), t.members.map(name)) : [v];
  if (options.gradients) {
    trained.forEach((t, i) => {
      const members = t.members ?? [t.value];
      unpack(t, differentiated.gradients[i]!, (m) => `${GRAD_PREFIX}${m.name}`).forEach((g, k) => {
        b.output(g);
        outputs.push({ ...typed(g), role: "gradient", group: t.group, of: members[k]!.name });
      });
    });
  }
  // The next values of each trained tensor's members (a tensor without members is its own one):
  // nextOf[i][j] = [param, ...state] of member j of trained[i]; a unit's packed state goes whole.
  const nextOf: Value[][][] = [];
  const packedNext: { value: Value; input: Value; group: Group; members: StateMember[] }[] = [];
  const flat = (v: Value, name: string) => (v.shape.length === 1 ? v : b.reshape(v, [numel(v)], name));
  for (const unit of units) {
    const first = trained[unit[0]!]!;
    const update = updaterOf(first);
    const names = { param: "next", state: first.state.map((s) => `${s.name}/next`) };
    const members = membersOf(unit);
    if (first.group === "embedding") {
      if (unit.length === 1) {
        const i = unit[0]!;
        const next = b.scope(first.value.name, () => update({ param: first.value, grad: differentiated.gradients[i]!, state: stateInputs[i]![0]! }, names));
        nextOf[i] = [[next.param, ...next.state]];
        continue;
      }
      // Row blocks of one width, joined along their rows: the row-wise update is element-wise.
      const join = (vs: readonly Value[], name: string) => b.concat(vs, 0, name);
      const next = b.scope(`optim/embedding/rows${String(first.value.shape[1])}`, () =>
        update(
          {
            param: join(unit.map((i) => trained[i]!.value), "rows"),
            grad: join(unit.map((i) => differentiated.gradients[i]!), "grad"),
            state: first.state.map((st, k) => join(unit.map((i) => stateInputs[i]![0]![k]!), st.name)),
          },
          { param: "rows/next", state: first.state.map((st) => `${st.name}/next`) },
        ),
      );
      const rows = unit.map((i) => trained[i]!.value.shape[0]!);
      const cut = (v: Value, name: (t: Trained) => string) => b.split(v, 0, rows, unit.map((i) => name(trained[i]!)));
      const params = cut(next.param, (t) => `${t.value.name}/next`);
      const states = next.state.map((v, k) => cut(v, (t) => `${t.value.name}/${first.state[k]!.name}/next`));
      unit.forEach((i, j) => (nextOf[i] = [[params[j]!, ...states.map((vs) => vs[j]!)]]));
      continue;
    }
    // Called inside the update's scope, so names are local to it: the flat join of some tensors.
    const join = (vs: readonly Value[], name: string) => (vs.length === 1 ? flat(vs[0]!, `${name}/flat`) : b.concat(vs.map((v, k) => flat(v, `${name}/${k}`)), 0, name));
    let next: UpdateOutputs;
    if (unit.length === 1 && !first.rule.elementwise) {
      // An optimizer that needs the tensor's shape sees it shaped; its results are flattened.
      const i = unit[0]!;
      const shaped = (v: Value, name: string) => (first.value.shape.length === 1 ? v : b.reshape(v, first.value.shape, name));
      next = b.scope(first.value.name, () => {
        const state = first.state.map((st, k) => shaped(join(members.map(({ j }) => stateInputs[i]![j]![k]!), st.name), `${st.name}/shaped`));
        const out = update({ param: first.value, grad: differentiated.gradients[i]!, state }, { param: "next/shaped", state: first.state.map((st) => `${st.name}/next/shaped`) });
        return { param: flat(out.param, "next/flat"), state: out.state.map((v, k) => flat(v, `${first.state[k]!.name}/next/flat`)) };
      });
    } else {
      // One flat vector of every member of the unit: element-wise updates of the concatenation are
      // each member's own update, bit for bit. A pack's gradient is its members' gradients joined.
      // A lone member is updated under its own name, so its results need no renaming.
      const packed = packedState.get(unit);
      const lone = !packed;
      next = b.scope(lone ? members[0]!.m.name : `optim/${first.group}`, () =>
        update(
          {
            param: packed ? packedParams.get(unit)!.value : join(members.map(({ m }) => m), "param"),
            grad: join(unit.map((i) => differentiated.gradients[i]!), lone ? "grad" : "flat/grad"),
            // A lone tensor's state inputs are flat already.
            state: packed ? packed.map((p) => p.value) : stateInputs[unit[0]!]![0]!,
          },
          packed ? { param: "params/next", state: names.state } : names,
        ),
      );
      if (packed) {
        const params = packedParams.get(unit)!;
        packedNext.push({ value: next.param, input: params.value, group: first.group, members: params.members });
        next.state.forEach((v, k) => packedNext.push({ value: v, input: packed[k]!.value, group: first.group, members: packed[k]!.members }));
        for (const { i, j } of members) (nextOf[i] ??= [])[j] = [];
        continue;
      } else {
        nextOf[unit[0]!] = [[next.param, ...next.state]];
        continue;
      }
    }
    // Cut back into the members, named as a member updated on its own would name them.
    const cut = (v: Value, name: (m: Value) => string): Value[] => (members.length === 1 ? [b.identity(v, name(members[0]!.m))] : b.split(v, 0, members.map(({ m }) => numel(m)), members.map(({ m }) => name(m))));
    const params = cut(next.param, (m) => `${m.name}/next`);
    // Packed state stays whole; a lone tensor's is cut like its param.
    const states = packedState.has(unit) ? [] : next.state.map((v, k) => cut(v, (m) => `${m.name}/${first.state[k]!.name}/next`));
    members.forEach(({ i, j }, k) => ((nextOf[i] ??= [])[j] = [params[k]!, ...states.map((vs) => vs[k]!)]));
  }
  trained.forEach((t, i) => {
    (t.members ?? [t.value]).forEach((m, j) => {
      nextOf[i]![j]!.forEach((v, k) => {
        b.output(v);
        outputs.push({ ...typed(v), role: "next", group: t.group, of: k === 0 ? m.name : stateInputs[i]![j]![k - 1]!.name });
      });
    });
  });
  for (const { value, input, group, members } of packedNext) {
    b.output(value);
    outputs.push({ ...typed(value), role: "next", group, of: input.name, members });
  }

  const graph = readPackedParams(b.finish(), [...packedParams.values()]);
  const roleOf = new Map<Value, TrainStepTensor>();
  roleOf.set(step, { ...typed(step), role: "step" });
  for (const [g, v] of Object.entries(lr)) roleOf.set(v, { ...typed(v), role: "lr", group: g as Group });
  for (const p of packedParams.values()) roleOf.set(p.value, { ...typed(p.value), role: "param", group: trained.find((t) => (t.members ?? [t.value]).includes(p.params[0]!))!.group, members: p.members });
  trained.forEach((t, i) => {
    (t.members ?? [t.value]).forEach((m, j) => {
      roleOf.set(m, { ...typed(m), role: t.group === "embedding" ? "rows" : "param", group: t.group });
      if (!stateInputs[i]) return;
      t.state.forEach((s, k) => {
        const v = stateInputs[i]![j]![k]!;
        roleOf.set(v, { ...typed(v), role: "state", group: t.group, of: m.name, state: s.name, init: s.init });
      });
    });
  });
  for (const [unit, packed] of packedState) {
    const first = trained[unit[0]!]!;
    packed.forEach((p, k) => roleOf.set(p.value, { ...typed(p.value), role: "state", group: first.group, state: first.state[k]!.name, init: first.state[k]!.init, members: p.members }));
  }
  // By name: the rewired graph has new values.
  const roleByName = new Map([...roleOf.values()].map((t) => [t.name, t]));
  const inputs = [...graph.inputs, ...graph.params.map((p) => p.value)].map((v) => roleByName.get(v.name) ?? { ...typed(v), role: "data" as const });
  return { graph, inputs, outputs, saved: differentiated.saved.map((v) => v.name) };
}

/**
 * `graph` with each pack's params read from its packed input: the params leave the graph, and a
 * Split of the input (reshaped to each param's shape) takes their names, so every reader and the
 * backward see the same values as before.
 */
function readPackedParams(graph: Graph, packs: readonly { value: Value; params: readonly Value[] }[]): Graph {
  if (packs.length === 0) return graph;
  const b = new Builder(graph.name, graph.doc);
  const map = declareLeaves(b, graph, new Set(packs.flatMap((p) => p.params)));
  for (const pack of packs) {
    const pieces = b.split(map.get(pack.value)!, 0, pack.params.map(numel), pack.params.map((p) => (p.shape.length === 1 ? p.name : `${p.name}/flat`)));
    pack.params.forEach((p, k) => map.set(p, p.shape.length === 1 ? pieces[k]! : b.reshape(pieces[k]!, p.shape, p.name)));
  }
  for (const node of graph.nodes) copyNode(b, graph, node, map);
  for (const o of graph.outputs) b.output(map.get(o)!);
  return b.finish();
}
