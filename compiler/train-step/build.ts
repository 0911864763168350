// The step graph from a plan (plain.ts, or packed by pack.ts): the forward, its backward with
// respect to every trained tensor, then `step`, the learning rates and each unit's update.
// Inputs in emitted order: the forward's, `step`, `lr/<group>` per group, each unit's (in unit
// order), then the params left in the graph. Outputs: the forward's, the gradients if asked, each
// member's next values (in trained order), then the packed inputs' next values (in unit order).

import { type Group, GROUP_OPTIMIZER, LOSS_OUTPUT, lrInput, STEP_INPUT, type TensorInfo } from "../artifact.js";
import { grad, GRAD_PREFIX } from "../autodiff/grad.js";
import { Builder, type Graph, type Value } from "../ir/graph.js";
import { invariant } from "../../base/source/diagnostic.js";
import { readPackedParams } from "./read-packed.js";
import { type Next, optimizerScope, type StepPlan, type Trained, type Update } from "./unit.js";
import { tensorInfo } from "../tensor-info.js";

/** The step graph and its interface, inputs in emitted order (declared inputs, then params). */
export interface TrainStep {
  readonly graph: Graph;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The forward values the backward reads (kept from forward to backward), by name. */
  readonly saved: readonly string[];
}

/** Builds the step that minimizes `forward`'s output "loss" by the plan's updates; `gradients` also outputs d loss / d each member. */
export function buildStep(forward: Graph, plan: StepPlan, gradients: boolean): TrainStep {
  const loss = forward.outputs.find((o) => o.name === LOSS_OUTPUT);
  invariant(loss !== undefined, `Graph ${forward.name} has no output named ${LOSS_OUTPUT}.`);
  // b.finish() verifies the finished step once; so grad does not verify its part of it.
  const differentiated = grad(forward, loss, plan.trained.map((t) => t.value), { verify: false });
  const gradOf = new Map(plan.trained.map((t, i) => [t, differentiated.gradients[i]!]));
  const b = Builder.extend(differentiated.graph);
  // `step` and the rates are scalars of the loss's element type; every group's rate is an input,
  // even for an empty group, so the runtime's interface does not depend on the model.
  const step = b.input(STEP_INPUT, loss.dtype, []);
  const lr = new Map((Object.keys(GROUP_OPTIMIZER) as Group[]).map((g) => [g, b.input(lrInput(g), loss.dtype, [])]));

  const outputs = forward.outputs.map((o) => tensorInfo(o, "output"));
  const output = (v: Value, info: TensorInfo) => {
    b.output(v);
    outputs.push(info);
  };
  if (gradients) for (const t of plan.trained) memberGradients(b, t, gradOf.get(t)!).forEach((g, k) => output(g, tensorInfo(g, "gradient", { group: t.group, of: t.members[k]!.name })));

  // Each group's shared scalars (bias corrections, ...) are built once, before its first update.
  const updates = new Map<Group, Update>();
  const built = plan.units.map((unit) => {
    const { rule, optimizer } = unit.tensors[0]!;
    if (!updates.has(unit.group)) updates.set(unit.group, b.scope(optimizerScope(unit.group), () => rule.begin(b, optimizer, { lr: lr.get(unit.group)!, step })));
    return unit.build(b, updates.get(unit.group)!, unit.tensors.map((t) => gradOf.get(t)!));
  });
  const outputNext = (n: Next, group: Group) => output(n.value, tensorInfo(n.value, "next", { group, of: n.of, ...(n.members ? { members: n.members } : {}) }));
  const nextOf = new Map(built.flatMap((u) => [...u.next]));
  for (const t of plan.trained) for (const m of t.members) for (const n of nextOf.get(m) ?? []) outputNext(n, t.group);
  built.forEach((u, i) => u.packed.forEach((n) => outputNext(n, plan.units[i]!.group)));

  const graph = readPackedParams(b.finish(), built.flatMap((u) => (u.reads ? [u.reads] : [])));
  // By name: the rewired graph has new values.
  const described = new Map<string, TensorInfo>([
    [step.name, tensorInfo(step, "step")],
    ...[...lr].map(([group, v]) => [v.name, tensorInfo(v, "lr", { group })] as const),
    ...plan.trained.flatMap((t) => t.members.map((m) => [m.name, tensorInfo(m, t.group === "embedding" ? "rows" : "param", { group: t.group })] as const)),
    ...built.flatMap((u) => u.inputs.map((info) => [info.name, info] as const)),
  ]);
  const inputs = [...graph.inputs, ...graph.params.map((p) => p.value)].map((v) => described.get(v.name) ?? tensorInfo(v, "data"));
  return { graph, inputs, outputs, saved: differentiated.saved.map((v) => v.name) };
}

/** A trained tensor's gradient, cut into its members' (`grad/<member>`). */
function memberGradients(b: Builder, t: Trained, g: Value): Value[] {
  if (t.members.length === 1) return [g];
  return b.split(
    g,
    0,
    t.members.map((m) => m.shape[0] as number),
    t.members.map((m) => `${GRAD_PREFIX}${m.name}`),
  );
}
