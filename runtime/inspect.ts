// What a trained model learned to do: which fields each group reads (FSCM), which
// connections the L0 gates keep open, and what the pruned export saves. `mssmc inspect` prints it
// and `mssmc report` draws it; both read this one structure so they never disagree.
//
// - Field selection: the mean over a sample of rows of the FSCM mask w_fj of the spec's form
//   (compiler/lower/field-selection.ts): relu(tanh(g_fj · e_f + b)) with b fixed (tanh) or learned
//   per field (learned_offset), the deterministic field gate z_fj (l0, as the export folds it), or
//   z_fj · relu(tanh(g_fj · e_f + b)) (l0_tanh). The eval graph has no output for the mask, and it
//   is a few dot products per row, so it is computed here from the embeddings and g: no second graph.
// - Connections: every consumer (a level's group or a task's tower) and every source it reads,
//   from the compiler's modelStructure; a gated edge counts its deterministic gates (foldGate, as
//   the export folds them) that are not exactly 0, and its expected L0 Σ σ(log α − β log(−γ/ζ)).
// - Pruning: the export (runtime/export.ts) with and without pruning; parameters are its
//   initializer numbers, multiply-adds per example its matmuls'. Which field each group still
//   reads (`fieldSelection.selected`) is what that pruning keeps, so the two never disagree.
// - With labelled rows and eval.onnx (inspectModelOnData): permutation importance per task and
//   field (runtime/importance.ts) and the mean weights of every softmax gate (runtime/gate-usage.ts).

import {
  foldGate,
  logAlphaParam,
  modelStructure,
  numericVectorParam,
  selectForm,
  selectionGateGroup,
  selectionOffsetParam,
  softmaxGateValues,
  withFloatOutputs,
  type ClosedSelection,
  type Manifest,
} from "../compiler/index.js";
import type { Dataset } from "./data/dataset.js";
import { selectRows } from "./data/select-rows.js";
import { UserError } from "../base/user-error.js";
import { predictDataset } from "./evaluate.js";
import { exportModel } from "./export.js";
import { gateUsage, type GateUsage } from "./gate-usage.js";
import { permutationImportance, type Importance } from "./importance.js";
import { openSession } from "./session.js";
import type { TrainedModel } from "./trained-model.js";

/** Mean FSCM mask per field and group over a sample of rows. */
export interface FieldSelection {
  /** The data file the sample came from. */
  file: string;
  /** Rows averaged over. */
  rows: number;
  fields: string[];
  /** The groups with a field-selected input, in group order. */
  groups: string[];
  /** strength[f][g]: mean w of field f in group g, in [0, 1]. */
  strength: number[][];
  /** selected[f][g]: group g still reads field f after training, i.e. the pruned export keeps that selection (absent when the model cannot be exported). */
  selected?: boolean[][];
}

/** One edge of a stage: a consumer reading one source. */
export interface Edge {
  /** The group (levels) or task (towers) that reads. */
  consumer: string;
  /** `input`, `input/<group>` or `<group>/expert<e>`. */
  source: string;
  /** Whether L0 gates sit on it. */
  gated: boolean;
  /** Gates not exactly 0 at inference (for an ungated edge: 1 of 1). */
  open: number;
  total: number;
  /** Σ σ(log α − β log(−γ/ζ)) over its gates (ungated: total). */
  expectedL0: number;
}

/** One stage's connection: a level, or the towers. */
export interface StageState {
  /** 1..L for levels, L+1 for the towers. */
  stage: number;
  /** `level 1` or `towers`. */
  label: string;
  /** The connection kind, with its granularity for cssm (`cssm(cell)`). */
  connect: string;
  /** The consumers, in plan order. */
  consumers: string[];
  /** The sources, in first-read order. */
  sources: string[];
  edges: Edge[];
}

/** Before and after pruning. */
export interface Pruning {
  /** Initializer numbers of the exported model: weights and embedding tables. */
  params: { before: number; after: number };
  /** Multiply-adds per example of the matmuls. */
  macs: { before: number; after: number };
  nodes: { before: number; after: number };
  /** Sources cut because closed gates zeroed them. */
  blocks: number;
  /** Layer output units removed: constant for every example, or read by nothing. */
  units: number;
  /** Fields removed (nothing reads their embedding any more), and the input columns that went with them. */
  fields: string[];
  inputs: string[];
  /** FSCM selections found closed (a group reads the field as 0 for every example). */
  selections: ClosedSelection[];
}

/** Everything `mssmc inspect` shows. */
export interface Inspection {
  model: string;
  checkpoint: string;
  /** The field selection, or why there is none. */
  fieldSelection: FieldSelection | { unavailable: string };
  /** Permutation importance per task and field, or why there is none. */
  importance: Importance | { unavailable: string };
  /** The mean weights of each softmax gate (one entry per consumer), or why there are none. */
  gateUsage: GateUsage[] | { unavailable: string };
  stages: StageState[];
  /** All L0 gates of the model. */
  gates: { total: number; open: number; closed: number; expectedL0: number };
  /** Parameters of the training graph (embedding tables excluded) and its multiply-adds per example. */
  trained: { params: number; macs: number };
  /** The pruned export, or why the model cannot be exported. */
  pruning: Pruning | { unavailable: string };
}

/** Default number of rows the field selection is averaged over. */
export const FIELD_SAMPLE_ROWS = 2000;

/** σ(x) in float64. */
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Σ σ(log α − β log(−γ/ζ)): the expected number of non-zero gates (docs/design.md, "The mathematics"). */
export function expectedL0(logAlpha: Float32Array, beta: number, gamma: number, zeta: number): number {
  const shift = beta * Math.log(-gamma / zeta);
  let sum = 0;
  for (const a of logAlpha) sum += sigmoid(a - shift);
  return sum;
}

/** `count` row indices spread evenly over `rows` (deterministic, covers the whole file). */
export function sampleRows(rows: number, count: number): Int32Array {
  const n = Math.min(rows, count);
  return Int32Array.from({ length: n }, (_v, i) => Math.floor((i * rows) / n));
}

/** The trained values of a param, or a UserError naming it. */
function valuesOf(model: TrainedModel, name: string): Float32Array {
  const v = model.params.get(name);
  if (!v) throw new UserError(`the trained model has no values for param ${name}; it does not match its manifest`, "inspect-model-mismatch");
  return v;
}

/** Mean FSCM mask per field and group over `sample` rows of `data` (spread evenly). */
export function fieldSelection(model: TrainedModel, data: Dataset, sample = FIELD_SAMPLE_ROWS): FieldSelection | { unavailable: string } {
  const spec = model.manifest.spec;
  const selections = modelStructure(spec, model.manifest.gate_groups.map((g) => g.name)).selections;
  const groups = selections.map((s) => s.group);
  if (!spec.select_fields || groups.length === 0) return { unavailable: "the model does not select fields per group" };
  if (data.rows === 0) return { unavailable: `${data.file} has no rows` };
  const rows = sampleRows(data.rows, sample);
  const starts: number[] = [];
  let width = 0;
  for (const f of spec.fields) {
    starts.push(width);
    width += f.dim;
  }
  const form = selectForm(spec)!;
  const tanh = form !== "l0";
  // Per group: g, each field's offset b, and each field's deterministic gate z (1 without gates).
  const g = selections.map((s) => (tanh ? valuesOf(model, s.vector) : undefined));
  const offsets = groups.map((group) => (form === "learned_offset" ? valuesOf(model, selectionOffsetParam(group)) : new Float32Array(spec.fields.length).fill(spec.gates.select_offset)));
  const z = groups.map((group) => (form === "l0" || form === "l0_tanh" ? foldGate(valuesOf(model, logAlphaParam(selectionGateGroup(group))), spec.gates.gamma, spec.gates.zeta) : new Float32Array(spec.fields.length).fill(1)));
  const sums = spec.fields.map(() => new Float64Array(groups.length));
  const e = new Float64Array(Math.max(...spec.fields.map((f) => f.dim)));
  spec.fields.forEach((f, fi) => {
    const column = data.fields[f.name];
    if (!column) throw new UserError(`the data set has no column for field "${f.name}"`, "inspect-model-mismatch");
    const table = model.tables.get(f.name);
    const vector = f.kind === "numeric" ? valuesOf(model, numericVectorParam(f.name)) : undefined;
    for (const r of rows) {
      // e_f of row r, as embedFields computes it.
      e.fill(0, 0, f.dim);
      if (column.kind === "numeric") for (let k = 0; k < f.dim; k++) e[k] = column.values[r]! * vector![k]!;
      else if (column.kind === "categorical") for (let k = 0; k < f.dim; k++) e[k] = table!.data[column.ids[r]! * f.dim + k]!;
      else {
        const from = column.offsets[r]!;
        const to = column.offsets[r + 1]!;
        const weight = f.kind === "multi_hot" && f.pooling === "mean" && to > from ? 1 / (to - from) : 1;
        for (let j = from; j < to; j++) for (let k = 0; k < f.dim; k++) e[k] = e[k]! + weight * table!.data[column.ids[j]! * f.dim + k]!;
      }
      g.forEach((gj, gi) => {
        let s = 0;
        if (gj) for (let k = 0; k < f.dim; k++) s += gj[starts[fi]! + k]! * e[k]!;
        sums[fi]![gi]! += z[gi]![fi]! * (gj ? Math.max(0, Math.tanh(s + offsets[gi]![fi]!)) : 1);
      });
    }
  });
  return {
    file: data.file,
    rows: rows.length,
    fields: spec.fields.map((f) => f.name),
    groups: [...groups],
    strength: sums.map((s) => [...s].map((x) => x / rows.length)),
  };
}

/** The state of every connection, stage by stage, from the trained log α. */
export function connectionStates(model: TrainedModel): StageState[] {
  const spec = model.manifest.spec;
  const { beta, gamma, zeta } = spec.gates;
  const structure = modelStructure(spec, model.manifest.gate_groups.map((g) => g.name));
  return structure.stages.map((s) => ({
    ...s,
    edges: s.edges.map(({ consumer, source, logAlphas }): Edge => {
      if (logAlphas.length === 0) return { consumer, source, gated: false, open: 1, total: 1, expectedL0: 1 };
      let open = 0;
      let total = 0;
      let expected = 0;
      for (const name of logAlphas) {
        const logAlpha = valuesOf(model, name);
        open += foldGate(logAlpha, gamma, zeta).filter((z) => z !== 0).length;
        total += logAlpha.length;
        expected += expectedL0(logAlpha, beta, gamma, zeta);
      }
      return { consumer, source, gated: true, open, total, expectedL0: expected };
    }),
  }));
}

/** Parameters and multiply-adds of the exported model, unpruned and pruned. */
export function pruningSummary(model: TrainedModel): Pruning | { unavailable: string } {
  let full, pruned;
  try {
    full = exportModel(model, { prune: false });
    pruned = exportModel(model, { prune: true });
  } catch (e) {
    if (e instanceof UserError) return { unavailable: e.message };
    throw e;
  }
  return {
    params: { before: full.params, after: pruned.params },
    macs: { before: full.macsPerExample, after: pruned.macsPerExample },
    nodes: { before: full.graph.nodes.length, after: pruned.graph.nodes.length },
    blocks: pruned.pruned?.blocks ?? 0,
    units: pruned.pruned?.units ?? 0,
    fields: pruned.pruned?.fields ?? [],
    inputs: pruned.pruned?.inputs ?? [],
    selections: pruned.pruned?.selections ?? [],
  };
}

/** selected[f][g]: whether group g still reads field f in the pruned export. */
function selectedFields(fs: FieldSelection, pruning: Pruning): boolean[][] {
  const closed = new Set(pruning.selections.map((c) => `${c.field}\u0000${c.group}`));
  return fs.fields.map((f) => fs.groups.map((g) => !pruning.fields.includes(f) && !closed.has(`${f}\u0000${g}`)));
}

/** Inspects a trained model; `data` (optional) is the sample for the field selection. */
export function inspectModel(model: TrainedModel, options: { checkpoint: string; data?: Dataset; sample?: number }): Inspection {
  const manifest: Manifest = model.manifest;
  const spec = manifest.spec;
  const { beta, gamma, zeta } = spec.gates;
  const gates = { total: 0, open: 0, closed: 0, expectedL0: 0 };
  for (const g of manifest.gate_groups) {
    const logAlpha = valuesOf(model, logAlphaParam(g.name));
    const open = foldGate(logAlpha, gamma, zeta).filter((z) => z !== 0).length;
    gates.total += logAlpha.length;
    gates.open += open;
    gates.closed += logAlpha.length - open;
    gates.expectedL0 += expectedL0(logAlpha, beta, gamma, zeta);
  }
  const pruning = pruningSummary(model);
  const fs = options.data
    ? fieldSelection(model, options.data, options.sample)
    : spec.select_fields
      ? { unavailable: "pass --data CSV to measure field selection on a sample of rows" }
      : { unavailable: "the model does not select fields per group" };
  if (!("unavailable" in fs) && !("unavailable" in pruning)) fs.selected = selectedFields(fs, pruning);
  return {
    model: spec.model,
    checkpoint: options.checkpoint,
    fieldSelection: fs,
    importance: { unavailable: "pass --data CSV with labels to measure permutation importance" },
    gateUsage: softmaxGateValues(spec).length ? { unavailable: "pass --data CSV to measure the softmax gates' weights" } : { unavailable: "the model has no softmax gates" },
    stages: connectionStates(model),
    gates,
    trained: { params: manifest.summary.params, macs: manifest.summary.macsPerExample },
    pruning,
  };
}

/** How inspectModelOnData measures on data. */
export interface DataInspectionOptions {
  checkpoint: string;
  data: Dataset;
  /** Rows of `data` (spread evenly) that everything is measured on. */
  sample?: number;
  /** Shuffles per field, and their seed. */
  repeats?: number;
  seed?: number;
  threads?: number;
}

/** inspectModel, plus permutation importance and softmax gate usage measured by running `evalModel` (the run's eval.onnx) on `data`. */
export async function inspectModelOnData(model: TrainedModel, evalModel: Uint8Array, o: DataInspectionOptions): Promise<Inspection> {
  const x = inspectModel(model, o);
  const spec = model.manifest.spec;
  const rows = selectRows(o.data, sampleRows(o.data.rows, o.sample ?? FIELD_SAMPLE_ROWS));
  const gates = softmaxGateValues(spec);
  const extended = gates.length ? withFloatOutputs(evalModel, gates.map((g) => g.value)) : { bytes: evalModel };
  const session = await openSession("bytes" in extended ? extended.bytes : evalModel, { device: "cpu", threads: o.threads ?? 1 });
  try {
    if (gates.length) x.gateUsage = "bytes" in extended ? await gateUsage(session, model.manifest, model, rows, gates) : { unavailable: `eval.onnx computes no ${extended.missing.join(", ")}; was the run compiled by another version of mssmc?` };
    const unlabelled = spec.tasks.filter((t) => !rows.labels[t.name]).map((t) => t.name);
    if (rows.rows === 0) x.importance = { unavailable: `${o.data.file} has no rows` };
    else if (unlabelled.length) x.importance = { unavailable: `${o.data.file} has no labels for ${unlabelled.join(", ")}` };
    else x.importance = await permutationImportance(spec, rows, (d) => predictDataset(session, model.manifest, model, d), { ...(o.repeats ? { repeats: o.repeats } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  } finally {
    await session.release();
  }
  return x;
}

const n = (x: number) => x.toLocaleString("en-US");
const pct = (a: number, b: number) => (b === 0 ? "-" : `${((100 * a) / b).toFixed(1)}%`);

/** Pads the columns of a table of strings (first column left-aligned, the rest right-aligned). */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd());
}

/** The importance table: one row per field, per task its mean drop ± std over the repeats. */
function formatImportance(imp: Inspection["importance"]): string[] {
  if ("unavailable" in imp) return [`permutation importance: ${imp.unavailable}`];
  const head = `permutation importance (${n(imp.rows)} rows of ${imp.file}, ${imp.repeats} shuffle(s) per field, seed ${imp.seed}): how much worse each task gets with the field shuffled, mean ± std`;
  const base = `  unshuffled: ${imp.tasks.map((t, k) => `${t} ${imp.metrics[k]} ${imp.base[k]!.toFixed(4)}`).join(", ")}`;
  const rows = [["field", ...imp.tasks.map((t, k) => `${t} ${imp.metrics[k] === "rmse" ? "rmse rise" : `${imp.metrics[k]} drop`}`)]];
  imp.fields.forEach((f, i) => rows.push([f, ...imp.tasks.map((_t, k) => `${imp.drop[k]![i]!.toFixed(4)} ± ${imp.std[k]![i]!.toFixed(4)}`)]));
  return [head, base, ...table(rows).map((l) => `  ${l}`)];
}

/** One table per softmax-gated stage: a row per consumer, its mean weight per source. */
function formatGateUsage(usage: GateUsage[]): string[] {
  const out: string[] = [];
  for (const label of [...new Set(usage.map((u) => u.label))]) {
    const here = usage.filter((u) => u.label === label);
    const sources = [...new Set(here.flatMap((u) => u.sources))];
    out.push(`${label}: softmax gate usage (mean weight per source over the rows)`);
    out.push(...table([["reader", ...sources], ...here.map((u) => [u.consumer, ...sources.map((s) => (u.sources.includes(s) ? u.mean[u.sources.indexOf(s)]!.toFixed(3) : "-"))])]).map((l) => `  ${l}`));
  }
  return out;
}

/** The inspection as the text a user reads in a terminal. */
export function formatInspection(x: Inspection): string {
  const out: string[] = [`model ${x.model} (checkpoint ${x.checkpoint})`, ""];
  const fs = x.fieldSelection;
  if ("unavailable" in fs) out.push(`field selection: ${fs.unavailable}`);
  else {
    // A `cut` column only when the pruned export cuts some selection.
    const cuts = fs.selected?.some((row) => row.some((kept) => !kept)) ? fs.selected : undefined;
    const cut = cuts ? "; cut = the pruned export no longer reads it" : "";
    out.push(`field selection (mean FSCM mask w over ${n(fs.rows)} rows of ${fs.file}; 0 = field unused${cut})`);
    const cell = (i: number, j: number) => `${fs.strength[i]![j]!.toFixed(3)}${cuts ? (cuts[i]![j] ? "    " : " cut") : ""}`;
    out.push(...table([["field", ...fs.groups], ...fs.fields.map((f, i) => [f, ...fs.groups.map((_g, j) => cell(i, j))])]).map((l) => `  ${l}`));
  }
  out.push("", ...formatImportance(x.importance));
  if (!("unavailable" in x.gateUsage)) out.push("", ...formatGateUsage(x.gateUsage));
  else if (x.gateUsage.unavailable !== "the model has no softmax gates") out.push("", `softmax gate usage: ${x.gateUsage.unavailable}`);
  for (const s of x.stages) {
    out.push("", `${s.label}: ${s.connect}`);
    const rows = [["reader", "source", "open", "total", "open %", "expected L0"]];
    for (const e of s.edges) rows.push(e.gated ? [e.consumer, e.source, n(e.open), n(e.total), pct(e.open, e.total), e.expectedL0.toFixed(1)] : [e.consumer, e.source, "always", "-", "-", "-"]);
    out.push(...table(rows).map((l) => `  ${l}`));
  }
  const g = x.gates;
  out.push("", g.total ? `L0 gates: ${n(g.open)} of ${n(g.total)} open (${pct(g.open, g.total)}), ${n(g.closed)} closed; expected L0 ${g.expectedL0.toFixed(1)}` : "L0 gates: none");
  out.push(`training graph: ${n(x.trained.params)} parameters (embedding tables excluded), ${n(x.trained.macs)} multiply-adds per example`);
  const p = x.pruning;
  if ("unavailable" in p) out.push(`pruning: not available: ${p.unavailable}`);
  else {
    const fields = p.fields.length ? `: ${p.fields.join(", ")}` : "";
    out.push(`exported model (weights and tables), before -> after pruning (removed ${p.blocks} closed block(s), ${p.units} unit(s), ${p.fields.length} field(s)${fields}):`);
    out.push(
      ...table([
        ["", "before", "after", "saved"],
        ["parameters", n(p.params.before), n(p.params.after), pct(p.params.before - p.params.after, p.params.before)],
        ["multiply-adds / example", n(p.macs.before), n(p.macs.after), pct(p.macs.before - p.macs.after, p.macs.before)],
        ["nodes", n(p.nodes.before), n(p.nodes.after), pct(p.nodes.before - p.nodes.after, p.nodes.before)],
      ]).map((l) => `  ${l}`),
    );
    if (p.selections.length) out.push(`  field selections closed (mask 0 for every example): ${p.selections.map((c) => `${c.field} -> ${c.group}`).join(", ")}`);
    if (p.inputs.length) out.push(`  the pruned model no longer takes the input(s) ${p.inputs.join(", ")}`);
  }
  return out.join("\n") + "\n";
}
