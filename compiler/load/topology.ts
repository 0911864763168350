import type { Connection, Sources, Spec } from "./types.js";

// The wiring a spec implies: for every stage (the input, each level, the towers), which
// sub-networks it has and which outputs of the previous stage each of them reads. The checker
// uses it to find width mismatches and dead sub-networks; the compiler lowers exactly this.

/** One output of a stage: an expert of a group, or an input representation. */
export interface Producer {
  /** The group it belongs to; `input` is the shared input when fields are not selected per group. */
  group: string;
  expert: number;
  width: number;
  /**
   * Set on the single shared input representation (stage 0 without field selection), which every
   * consumer sees. A flag rather than the group name, because a user may name a group `input`.
   */
  input?: true;
}

/** A sub-network of a stage and what it reads. */
export interface Consumer {
  /** A group at a level, a task at the towers. */
  name: string;
  /** The resolved source mode (never `auto`). */
  sources: Exclude<Sources, "auto">;
  reads: Producer[];
}

export interface Stage {
  /** 0 is the input; 1..L the levels; L+1 the towers. */
  index: number;
  connect: Connection | undefined;
  consumers: Consumer[];
  /** What this stage offers the next one. */
  producers: Producer[];
}

export const INPUT_GROUP = "input";

/** The resolved `auto` source mode for a consumer. */
export function resolveSources(connect: Connection, consumer: string, spec: Spec, atTowers: boolean, previous: Producer[]): Exclude<Sources, "auto"> {
  if (connect.sources !== "auto") return connect.sources;
  const isTask = spec.tasks.some((t) => t.name === consumer);
  // A task's softmax gate mixes its own experts with the shared ones (CGC, PLE), at a level and
  // at the towers alike; without experts of its own that is just the shared ones (MMoE).
  if (connect.kind === "softmax_gate") return isTask ? "own_and_shared" : "all";
  // Cross-stitch exists to mix columns: reading only its own column would mix nothing.
  if (connect.kind === "cross_stitch") return "all";
  if (atTowers) return previous.some((p) => !p.input && p.group === consumer) ? "own" : "shared";
  return "all";
}

/** Which previous producers a consumer with a source mode sees. The shared input is seen by all. */
export function visible(mode: Exclude<Sources, "auto">, consumer: string, spec: Spec, previous: Producer[]): Producer[] {
  const isTaskGroup = (g: string) => spec.tasks.some((t) => t.name === g);
  return previous.filter((p) => {
    if (p.input) return true;
    switch (mode) {
      case "all": return true;
      case "own": return p.group === consumer;
      case "shared": return !isTaskGroup(p.group);
      case "own_and_shared": return p.group === consumer || !isTaskGroup(p.group);
    }
  });
}

/** Width of the concatenated embeddings of all fields. */
export function inputWidth(spec: Spec): number {
  return spec.fields.reduce((sum, f) => sum + f.dim, 0);
}

/** Resolves every stage of a normalized spec. */
export function topology(spec: Spec): Stage[] {
  const width = inputWidth(spec);
  const inputProducers: Producer[] = spec.select_fields
    ? spec.groups.map((g) => ({ group: g, expert: 0, width }))
    : [{ group: INPUT_GROUP, expert: 0, width, input: true }];
  const stages: Stage[] = [{ index: 0, connect: undefined, consumers: [], producers: inputProducers }];
  let previous = inputProducers;
  spec.levels.forEach((level, i) => {
    const consumers: Consumer[] = [];
    const producers: Producer[] = [];
    for (const [group, experts] of Object.entries(level.experts)) {
      const sources = resolveSources(level.connect, group, spec, false, previous);
      consumers.push({ name: group, sources, reads: visible(sources, group, spec, previous) });
      const out = experts.widths[experts.widths.length - 1] ?? 0;
      for (let e = 0; e < experts.count; e++) producers.push({ group, expert: e, width: out });
    }
    stages.push({ index: i + 1, connect: level.connect, consumers, producers });
    previous = producers;
  });
  const towers: Consumer[] = spec.tasks.map((t) => {
    const sources = resolveSources(spec.towers.connect, t.name, spec, true, previous);
    return { name: t.name, sources, reads: visible(sources, t.name, spec, previous) };
  });
  stages.push({ index: spec.levels.length + 1, connect: spec.towers.connect, consumers: towers, producers: [] });
  return stages;
}
