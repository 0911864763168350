// The names and spec pointers of everything the lowering creates, in one place: the plan (which
// gate groups exist, so their noise inputs can be declared first) and the builders must agree.
// These names are the compiled graphs' (specs/language.md, "The compiled graphs"); the inputs and
// outputs the runtime feeds and reads are named in compiler/artifact.ts.

import { child } from "../load/source-map.js";
import type { Producer } from "../load/topology.js";

/** The scope of a group's sub-network at a level: `level2/income`. */
export function levelScope(level: number, group: string): string {
  return `level${level}/${group}`;
}

/** The local scope of one expert inside its group: `expert0`. */
export function expertName(expert: number): string {
  return `expert${expert}`;
}

/** The scope of a task's tower: `towers/income`. */
export function towerScope(task: string): string {
  return `towers/${task}`;
}

/**
 * How a consumer names a source it reads: `input` (the shared input representation), `input/<g>`
 * (group g's field-selected input) or `<g>/expert<e>` (an expert of the stage before).
 */
export function sourceName(stage: number, p: Producer): string {
  if (p.input) return SHARED_INPUT;
  return stage === 0 ? selectedInputName(p.group) : expertOutputName(p.group, p.expert);
}

/** The source name of the shared input representation. */
export const SHARED_INPUT = "input";

/** The source name of a group's field-selected input. */
export function selectedInputName(group: string): string {
  return `input/${group}`;
}

/** The source name of an expert's output. */
export function expertOutputName(group: string, expert: number): string {
  return `${group}/${expertName(expert)}`;
}

/** The source name of a group's field gates (`select/<group>/gates/fields`, compiler/artifact.ts). */
export const FIELD_GATES_SOURCE = "fields";

/** The scope of an L0 gate group inside its owner (an expert's first layer, a tower or a consumer's mix). */
export function gateScope(source: string): string {
  return `gates/${source}`;
}

/** JSON pointer of a field. */
export function fieldPointer(index: number): string {
  return child("/fields", index);
}

/** JSON pointer of a task. */
export function taskPointer(index: number): string {
  return child("/tasks", index);
}

/** JSON pointer of a group's experts at a level (1-based level). */
export function expertsPointer(level: number, group: string): string {
  return child(child(child("/levels", level - 1), "experts"), group);
}

/** JSON pointer of a task's tower. */
export function towerPointer(task: string): string {
  return child("/towers/tasks", task);
}

/**
 * JSON pointer of the connection into a stage (1..L a level, L+1 the towers): its kind, which is
 * where it is written (a default connection falls back to its level or the towers).
 */
export function connectPointer(stage: number, levels: number): string {
  return `${stage > levels ? "/towers/connect" : child(child("/levels", stage - 1), "connect")}/kind`;
}
