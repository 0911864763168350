// What a model is made of, as `mssmc inspect` shows it: which groups select fields (FSCM), and for
// every stage each consumer (a level's group or a task's tower), each source it reads and the L0
// gate groups on that edge. The runtime adds the trained values (open gates, expected L0).

import { logAlphaParam, selectionGateGroup, selectionOffsetParam, selectionVectorParam } from "../artifact.js";
import { selectForm, type SelectForm, type Spec } from "../load/types.js";
import { planLowering, type ConsumerPlan } from "./plan.js";

/** One edge of a stage: a consumer reading one source. */
export interface EdgeStructure {
  /** The group (levels) or task (towers) that reads. */
  consumer: string;
  /** `input`, `input/<group>` or `<group>/expert<e>`. */
  source: string;
  /** The log α params of the gates on it (none for an ungated edge). */
  logAlphas: string[];
}

/** One stage's connection: a level, or the towers. */
export interface StageStructure {
  /** 1..L for levels, L+1 for the towers. */
  stage: number;
  /** `level 1` or `towers`. */
  label: string;
  /** The connection kind, with its granularity for cssm (`cssm(cell)`). */
  connect: string;
  /** The consumers that are built, in plan order. */
  consumers: string[];
  /** The sources, in first-read order. */
  sources: string[];
  edges: EdgeStructure[];
}

/** One group's field selection: its form (compiler/lower/field-selection.ts) and the params it reads. */
export interface SelectionStructure {
  group: string;
  form: SelectForm;
  /** The FSCM vector g (forms tanh, learned_offset, l0_tanh; form l0 has none). */
  vector: string;
  /** The learned offsets b [fields] (form learned_offset). */
  offset?: string;
  /** The log α [fields] of the field gates (forms l0, l0_tanh). */
  logAlpha?: string;
}

/** The structure of a model. */
export interface ModelStructure {
  /** The groups with a field-selected input, in group order, and the params of their masks. */
  selections: SelectionStructure[];
  stages: StageStructure[];
}

/** The connection kind as shown: `cssm(cell)`, `dense`, ... */
function connectLabel(c: ConsumerPlan): string {
  return c.connect.kind === "cssm" ? `cssm(${c.connect.granularity ?? "cell"})` : c.connect.kind;
}

/** The structure of a checked spec's model; `gateGroups` are the manifest's gate group names. */
export function modelStructure(spec: Spec, gateGroups: readonly string[]): ModelStructure {
  const plan = planLowering(spec);
  const stages = [...plan.levels, plan.towers].filter((s) => s.length > 0);
  return {
    selections: plan.selected.map((group): SelectionStructure => {
      const form = selectForm(spec)!;
      return {
        group,
        form,
        vector: selectionVectorParam(group),
        ...(form === "learned_offset" ? { offset: selectionOffsetParam(group) } : {}),
        ...(form === "l0" || form === "l0_tanh" ? { logAlpha: logAlphaParam(selectionGateGroup(group)) } : {}),
      };
    }),
    stages: stages.map((consumers) => {
      const first = consumers[0]!;
      const sources: string[] = [];
      const edges: EdgeStructure[] = [];
      // Consumers whose outputs nothing reads are not built, so they have no gates to show.
      for (const c of consumers.filter((c) => c.built)) {
        for (const r of c.reads) {
          if (!sources.includes(r.name)) sources.push(r.name);
          // A cssm gate group is `<scope>/expert<e>/gates/<source>`, an l0_average one `<scope>/gates/<source>`.
          const gated = gateGroups.filter((n) => n.startsWith(`${c.scope}/`) && n.endsWith(`/gates/${r.name}`));
          edges.push({ consumer: c.name, source: r.name, logAlphas: gated.map(logAlphaParam) });
        }
      }
      return {
        stage: first.stage,
        label: first.atTowers ? "towers" : `level ${first.stage}`,
        connect: connectLabel(first),
        consumers: consumers.filter((c) => c.built).map((c) => c.name),
        sources,
        edges,
      };
    }),
  };
}
