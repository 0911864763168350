import type { SourceMap } from "../../load/source-map.js";
import { child } from "../../load/source-map.js";
import type { Producer, Stage } from "../../load/topology.js";
import { selectForm, type Optimizer, type Spec } from "../../load/types.js";

// Phrases and pointers the rules share, so every message names things the same way.

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
export function quoteList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? (q[0] ?? "nothing") : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

/** What a spec declares by name, kind by kind: each name with the pointer to where it is written. */
export function declaredNames(spec: Spec): { what: "field" | "task" | "group"; names: { name: string; pointer: string }[] }[] {
  return [
    { what: "field", names: spec.fields.map((f, i) => ({ name: f.name, pointer: `/fields/${i}/name` })) },
    { what: "task", names: spec.tasks.map((t, i) => ({ name: t.name, pointer: `/tasks/${i}/name` })) },
    { what: "group", names: spec.groups.map((g, i) => ({ name: g, pointer: `/groups/${i}` })) },
  ];
}

/** The name of a stage in a message: "the input", "level 2", "the towers". */
export function stageName(index: number, spec: Spec): string {
  if (index === 0) return "the input";
  if (index > spec.levels.length) return "the towers";
  return `level ${index}`;
}

/** Pointer to the experts of `group` at the 0-based level `level`. */
export function expertsPointer(level: number, group: string): string {
  return child(child(child("/levels", level), "experts"), group);
}

/** Pointer to the tower of `task`. */
export function towerPointer(task: string): string {
  return child("/towers/tasks", task);
}

/**
 * "the experts of 'g' at level 2", or "the experts at level 2" when they were written once for
 * every group (`experts: mlp[..]`): then one message covers every copy.
 */
export function expertsPhrase(map: SourceMap, level: number, group: string): string {
  const written = map.get(expertsPointer(level, group));
  return written && !written.key ? `the experts at level ${level + 1}` : `the experts of '${group}' at level ${level + 1}`;
}

/** "the tower of 't'", or "the default tower" when it comes from `tower:`. */
export function towerPhrase(map: SourceMap, task: string): string {
  const written = map.get(towerPointer(task));
  return written && !written.key ? "the default tower" : `the tower of '${task}'`;
}

/** Pointer to the connection kind of a stage (1..L a level, L+1 the towers). */
export function connectKindPointer(index: number, spec: Spec): string {
  return index > spec.levels.length ? "/towers/connect/kind" : `${child("/levels", index - 1)}/connect/kind`;
}

/** "level 2's cssm connection", "the towers' softmax_gate connection". */
export function connectionPhrase(stage: Stage, spec: Spec): string {
  const kind = stage.connect?.kind ?? "dense";
  return stage.index > spec.levels.length ? `the towers' ${kind} connection` : `the ${kind} connection of level ${stage.index}`;
}

/** How a producer is named in a message: its group, or "the input". */
export function producerName(p: Producer): string {
  return p.input ? "the input" : `'${p.group}'`;
}

/** The optimizers the spec sets (an unset embedding optimizer is derived from `optimizer`, so checking it would repeat). */
export function writtenOptimizers(spec: Spec, map: SourceMap): { name: "optimizer" | "gate_optimizer" | "embedding_optimizer"; pointer: string; optimizer: Optimizer }[] {
  const out: ReturnType<typeof writtenOptimizers> = [
    { name: "optimizer", pointer: "/train/optimizer", optimizer: spec.train.optimizer },
    { name: "gate_optimizer", pointer: "/train/gate_optimizer", optimizer: spec.train.gate_optimizer },
  ];
  if (map.get("/train/embedding_optimizer")) out.push({ name: "embedding_optimizer", pointer: "/train/embedding_optimizer", optimizer: spec.train.embedding_optimizer });
  return out;
}

/** Whether the model has hard-concrete L0 gates (field gates, or a cssm or l0_average connection anywhere). */
export function hasL0Gates(spec: Spec): boolean {
  const form = selectForm(spec);
  if ((form === "l0" || form === "l0_tanh") && spec.groups.length > 0) return true;
  return [...spec.levels.map((l) => l.connect), spec.towers.connect].some((c) => c.kind === "cssm" || c.kind === "l0_average");
}

/** The phrase with its first letter in upper case, to start a sentence. */
export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
