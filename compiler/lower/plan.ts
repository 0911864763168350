// What the lowering builds, decided before any node exists: for every stage, each consumer's
// sources (from topology(), the contract with the checker), whether its experts are built (only
// when the next stage reads them), whether its input is needed (it is built, or a later softmax
// gate queries it), what its softmax gate queries, and every L0 gate group with its shape. The
// gate groups must be known first because their noise inputs come before any node.

import { invariant } from "../../base/source/diagnostic.js";
import { topology, type Producer, type Stage } from "../load/topology.js";
import { selectionGateGroup } from "../artifact.js";
import { selectForm, type Activation, type Connection, type Spec, type Task } from "../load/types.js";
import { BATCH } from "../ir/ops.js";
import { drawnPerExample } from "./gates.js";
import { connectPointer, expertName, expertsPointer, gateScope, levelScope, sourceName, towerPointer, towerScope } from "./names.js";

/** A producer of the previous stage as one consumer reads it. */
export interface SourceRef {
  readonly producer: Producer;
  /** `input`, `input/<group>` or `<group>/expert<e>` (names.ts). */
  readonly name: string;
}

/**
 * What a softmax gate is conditioned on: the input the consumer's experts read at the previous
 * level (when it had experts there), else its stage-0 representation: its field-selected input,
 * or the concatenation of every field embedding (the shared input; also the fallback under field
 * selection for a consumer that is not a group).
 */
export type Query =
  | { readonly kind: "fields" }
  | { readonly kind: "selected"; readonly group: string }
  | { readonly kind: "consumer"; readonly stage: number; readonly name: string };

/** One consumer of a stage: a group's experts at a level, or a task's tower. */
export interface ConsumerPlan {
  /** 1..L for levels, L+1 for the towers. */
  readonly stage: number;
  /** The group, or the task at the towers. */
  readonly name: string;
  readonly atTowers: boolean;
  /** `level2/income` or `towers/income`. */
  readonly scope: string;
  /** Pointer of its experts (or tower) in the spec. */
  readonly pointer: string;
  /** Pointer of the connection that feeds it. */
  readonly connectPointer: string;
  readonly connect: Connection;
  readonly reads: readonly SourceRef[];
  /** Experts in the group (1 for a tower). */
  readonly count: number;
  /** Layer widths; a tower's end with its output layer (1, or the classes of a multiclass task). */
  readonly widths: readonly number[];
  readonly activation: Activation;
  /** Its outputs are read by the next stage (towers always are). */
  readonly built: boolean;
  /** Its input is computed: it is built, or a softmax gate of the next stage queries it. */
  readonly inputNeeded: boolean;
  /** What its softmax gate queries (softmax_gate connections only). */
  readonly query?: Query;
}

/** One tensor of L0 gates: a log α param `<name>/log_alpha` and, when training, its noise input. */
export interface GateGroup {
  /** e.g. `level1/income/expert0/gates/input/shared`. */
  readonly name: string;
  /** The shape of its log α. */
  readonly shape: readonly number[];
  /** The shape of its noise input: log α's, with a batch axis in front under `gates.noise: per_example`. */
  readonly noise: readonly (number | string)[];
  /** Pointer of the connection that made it. */
  readonly pointer: string;
}

/** The whole plan. */
export interface LoweringPlan {
  readonly stages: readonly Stage[];
  /** `levels[k - 1]` are the consumers of level k, in topology order. */
  readonly levels: readonly (readonly ConsumerPlan[])[];
  /** One per task of the model, in task order. */
  readonly towers: readonly ConsumerPlan[];
  /** Groups whose field-selected input is built, in group order (empty without field selection). */
  readonly selected: readonly string[];
  /** Every gate group, in build order. */
  readonly gateGroups: readonly GateGroup[];
}

/** Width of a task's output layer: one logit or value, or one logit per class. */
export function outputWidth(task: Task): number {
  return task.kind === "multiclass" ? task.classes : 1;
}

/** Decides what to build for a checked, normalized spec. */
export function planLowering(spec: Spec): LoweringPlan {
  const stages = topology(spec);
  const L = spec.levels.length;
  const key = (stage: number, name: string) => `${stage}\u0000${name}`;
  const built = new Set<string>();
  const inputNeeded = new Set<string>();
  const selected = new Set<string>();
  const queries = new Map<string, Query>();

  const queryOf = (stage: number, name: string): Query => {
    const previous = stage - 1;
    if (previous >= 1 && spec.levels[previous - 1]!.experts[name]) return { kind: "consumer", stage: previous, name };
    if (spec.select_fields && spec.groups.includes(name)) return { kind: "selected", group: name };
    return { kind: "fields" };
  };

  // Walk from the towers back to the input: a stage's needs are complete once the stage after
  // it has been visited, because a consumer only reads (and queries) the stage just before it.
  for (const t of stages[L + 1]!.consumers) inputNeeded.add(key(L + 1, t.name));
  for (let s = L + 1; s >= 1; s--) {
    const stage = stages[s]!;
    for (const c of stage.consumers) {
      if (built.has(key(s, c.name))) inputNeeded.add(key(s, c.name));
      if (!inputNeeded.has(key(s, c.name))) continue;
      for (const p of c.reads) {
        if (s === 1) {
          if (!p.input) selected.add(p.group);
        } else built.add(key(s - 1, p.group));
      }
      if (stage.connect!.kind === "softmax_gate") {
        const q = queryOf(s, c.name);
        queries.set(key(s, c.name), q);
        if (q.kind === "consumer") inputNeeded.add(key(q.stage, q.name));
        if (q.kind === "selected") selected.add(q.group);
      }
    }
  }

  const consumerPlan = (s: number, name: string, reads: readonly Producer[]): ConsumerPlan => {
    const atTowers = s === L + 1;
    const connect = stages[s]!.connect!;
    const common = {
      stage: s,
      name,
      atTowers,
      connectPointer: connectPointer(s, L),
      connect,
      reads: reads.map((p) => ({ producer: p, name: sourceName(s - 1, p) })),
      built: atTowers || built.has(key(s, name)),
      inputNeeded: inputNeeded.has(key(s, name)),
      ...(queries.has(key(s, name)) ? { query: queries.get(key(s, name))! } : {}),
    };
    if (atTowers) {
      const task = spec.tasks.find((t) => t.name === name);
      const tower = spec.towers.tasks[name];
      invariant(task !== undefined && tower !== undefined, `Task ${name} has no tower in a checked spec.`);
      return { ...common, scope: towerScope(name), pointer: towerPointer(name), count: 1, widths: [...tower.widths, outputWidth(task)], activation: tower.activation };
    }
    const experts = spec.levels[s - 1]!.experts[name]!;
    return { ...common, scope: levelScope(s, name), pointer: expertsPointer(s, name), count: experts.count, widths: experts.widths, activation: experts.activation };
  };

  const levels = spec.levels.map((_l, i) => stages[i + 1]!.consumers.map((c) => consumerPlan(i + 1, c.name, c.reads)));
  const towers = stages[L + 1]!.consumers.map((c) => consumerPlan(L + 1, c.name, c.reads));

  // Field gates come first: stage 0 is built first, and gate groups are built in plan order.
  const selectedGroups = spec.groups.filter((g) => selected.has(g));
  const form = selectForm(spec);
  const fieldGates = form === "l0" || form === "l0_tanh" ? selectedGroups : [];
  const gateGroups: Omit<GateGroup, "noise">[] = fieldGates.map((g) => ({ name: selectionGateGroup(g), shape: [spec.fields.length], pointer: "/select_fields" }));
  for (const c of [...levels.flat(), ...towers]) {
    const widthOf = (r: SourceRef) => r.producer.width;
    if (c.connect.kind === "cssm" && c.built) {
      const out = c.widths[0]!;
      const owners = c.atTowers ? [c.scope] : Array.from({ length: c.count }, (_v, e) => `${c.scope}/${expertName(e)}`);
      for (const owner of owners) {
        for (const r of c.reads) {
          gateGroups.push({ name: `${owner}/${gateScope(r.name)}`, shape: cssmGateShape(c.connect, widthOf(r), out), pointer: c.connectPointer });
        }
      }
    }
    if (c.connect.kind === "l0_average" && c.inputNeeded) {
      for (const r of c.reads) gateGroups.push({ name: `${c.scope}/${gateScope(r.name)}`, shape: [1], pointer: c.connectPointer });
    }
  }

  const noiseShape = (g: Omit<GateGroup, "noise">) => (drawnPerExample(spec, g.pointer === "/select_fields") ? [BATCH, ...g.shape] : g.shape);
  return { stages, levels, towers, selected: selectedGroups, gateGroups: gateGroups.map((g) => ({ ...g, noise: noiseShape(g) })) };
}

/** The gates of one cssm block W_s [in, out]: one per output cell, one for the block, or one per weight. */
export function cssmGateShape(connect: Connection, inWidth: number, outWidth: number): number[] {
  switch (connect.granularity ?? "cell") {
    case "cell":
      return [outWidth];
    case "block":
      return [1];
    case "weight":
      return [inWidth, outWidth];
  }
}
