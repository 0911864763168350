// The validation field check (docs/design.md, "Field selection on held-out rows"). Field gates
// trained on the training loss keep a field that lets the network memorize, such as an id column
// with no signal: it lowers the training loss as much as a real driver does. So at each epoch end
// from the end of the gate warm-up on, every field still open in a group is tested there, on the
// validation rows with the eval graph, against the task losses L_t (log loss, or mean squared
// error for a regression task) of the tasks T(g) that group g's input reaches along edges with an
// open gate:
//
//   L = Σ_t w_t L_t
//   Δ0(f, g) = L(f closed in g) − L                           what closing costs as it is
//   Δπ(f, g) = Σ_{t ∈ T(g)} w_t (L_t(f's column shuffled) − L_t)  what f's information is worth to T(g)
//
// Δ0 alone would keep a harmless field, since zeroing its embedding shifts the next layer (which
// training then absorbs); Δπ alone would keep a memorized field about half of the time, since
// shuffled noise is still noise. Δπ is measured on the tasks the group serves, so a field that only
// another task needs leaves a group on a private path while it stays where that task reads it.
// A (field, group) pair with min(Δ0, Δπ) ≤ 0 is a suspect; a suspect of the check before that is
// one again is closed (two checks in a row, so that a field the network has not learned yet,
// worth nothing at one epoch end, gets another epoch). Pairs are taken in the order of that
// minimum (Δπ is evaluated only where Δ0 > 0), each tested again with the pairs closed before it
// (so of two copies of one signal, such as Adult's education and education-num, the second
// stays). Closing sets the gate's log α to closedLogAlpha (−10 with the default constants) and
// freezes it (runtime/freeze.ts), so training leaves it and the export prunes the field from that
// group (from the model when no group reads it).

import { closedLogAlpha, foldGate, logAlphaParam, modelStructure, selectForm, selectionGateGroup, type Manifest, type Spec } from "../compiler/index.js";
import type ort from "onnxruntime-node";
import type { TrainState } from "./checkpoint.js";
import type { Dataset } from "./data/dataset.js";
import { metricWeights, predictDataset, type Predictions } from "./evaluate.js";
import { permutation, Random } from "../base/random.js";
import { selectRows, takeRows } from "./data/select-rows.js";

/** The random stream of the field check's shuffles, keyed by epoch and field: apart from training's and importance's. */
const FIELD_CHECK_STREAM = 81;

/**
 * The most validation rows a check reads: a seeded sample of them beyond. A check makes about one
 * evaluation pass per open field and group, plus one per field shuffled, at each epoch end, so
 * its rows are what it costs: on the zoo MSSM on Adult validated on adult.test (16,281 rows) the
 * checks took three quarters of a 10-epoch run at 20,000 rows (docs/design.md, "Field selection on
 * held-out rows"). The Adult measurements of the defaults were made on 3,256 validation rows.
 */
export const FIELD_CHECK_ROWS = 4_096;

/**
 * How many standard errors (over the validation rows, of the paired per-row loss differences) a
 * rise must clear for a field to count as worth something in a group: a field whose closing or
 * shuffling moves the loss by what the rows' noise alone would is a suspect. Chosen among 0, 1, 2
 * and 3 (bench/RESULTS.md, "The field check per group, and private paths"): from 1 on, every task
 * group on the truth data reads exactly its task's fields; Adult's income AUC falls as z rises
 * (0.0016, 0.0025 and 0.0048 below the model without L0 at 1, 2 and 3).
 */
export const FIELD_CHECK_Z = 1;

/** Whether a run checks its fields on the validation rows: field gates, validation rows, and `train.validate_fields` not false. */
export function checksFields(spec: Spec, hasValidation: boolean): boolean {
  const form = selectForm(spec);
  return hasValidation && (form === "l0" || form === "l0_tanh") && (spec.train.validate_fields ?? true);
}

/** A field in one group, as the check's suspects name it in the checkpoint: `field@group`. */
export function suspectKey(field: string, group: string): string {
  return `${field}@${group}`;
}

/** What a check closed: each field with the group it left and what closing it there changed the joint validation loss by, in the order closed. */
export interface FieldCheck {
  closed: { field: string; group: string; delta: number }[];
  /** (field, group) pairs tried: the open field gates before the check. */
  tried: number;
  /** Evaluation passes it made, and the validation rows each read. */
  passes: number;
  rows: number;
  /** Pairs whose closing did not raise the loss this time (`field@group`), closed if it does not at the next check either. */
  suspects: string[];
}

/**
 * Each row's share of w_t L_t per task (L_t over the task's labelled rows, by sample weight: log
 * loss clamped as runtime/metrics.ts does, or squared error), so that a loss is a sum over rows and
 * a difference between two evaluations has a standard error.
 */
function rowLosses(spec: Spec, predictions: Predictions, data: Dataset): Float64Array[] {
  return spec.tasks.map((t) => {
    const p = predictions[t.name]!;
    const y = data.labels[t.name]!;
    const { weights, labelled } = metricWeights(y, data.weights?.[t.name]);
    const total = weights ? weights.reduce((a, b) => a + b, 0) : labelled;
    const loss: (i: number) => number =
      t.kind === "binary"
        ? (i) => -Math.log(y[i]! > 0.5 ? clampP(p[i]!) : 1 - clampP(p[i]!))
        : t.kind === "regression"
          ? (i) => (p[i]! - y[i]!) ** 2
          : (i) => -Math.log(Math.max(LOSS_EPS, p[i * t.classes + y[i]!]!));
    const out = new Float64Array(data.rows);
    for (let i = 0; i < data.rows; i++) {
      const w = weights ? weights[i]! : 1;
      if (w !== 0) out[i] = (t.weight * w * loss(i)) / total;
    }
    return out;
  });
}
const LOSS_EPS = 1e-7;
const totalLoss = (losses: readonly Float64Array[]) => losses.reduce((sum, l) => sum + l.reduce((a, b) => a + b, 0), 0);
const clampP = (p: number) => Math.min(1 - LOSS_EPS, Math.max(LOSS_EPS, p));

/**
 * How much an evaluation's loss rose over `base`'s, on the tasks `tasks`, less FIELD_CHECK_Z of its
 * standard error over rows: above 0, the rise is more than the rows' noise can explain.
 */
function riseBeyondNoise(after: readonly Float64Array[], base: readonly Float64Array[], tasks: readonly number[]): number {
  const n = base[0]?.length ?? 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (const k of tasks) d += after[k]![i]! - base[k]![i]!;
    sum += d;
    sumSq += d * d;
  }
  const variance = n > 1 ? Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)) : 0;
  return sum - FIELD_CHECK_Z * Math.sqrt(n * variance);
}

/**
 * Per group with a field selection, which tasks (indices into spec.tasks) its input reaches: the
 * towers' reads traced back level by level along edges that have no gates or some gate open.
 */
export function tasksReached(spec: Spec, manifest: Manifest, params: ReadonlyMap<string, Float32Array>): Map<string, Set<number>> {
  const { stages } = modelStructure(spec, manifest.gate_groups.map((g) => g.name));
  const carries = (logAlphas: readonly string[]) => logAlphas.length === 0 || logAlphas.some((p) => foldGate(params.get(p)!, spec.gates.gamma, spec.gates.zeta).some((z) => z > 0));
  // reach: consumer of the stage being walked -> the tasks its outputs reach.
  let reach = new Map(spec.tasks.map((t, k) => [t.name, new Set([k])]));
  const selected = new Map<string, Set<number>>();
  for (let s = stages.length - 1; s >= 0; s--) {
    const below = new Map<string, Set<number>>();
    for (const e of stages[s]!.edges) {
      const tasks = reach.get(e.consumer);
      if (!tasks || !carries(e.logAlphas)) continue;
      const [producer, part] = e.source.split("/");
      const into = producer === "input" ? (part === undefined ? undefined : selected) : below;
      const key = producer === "input" ? part : producer;
      if (!into || key === undefined) continue;
      const set = into.get(key) ?? new Set<number>();
      for (const k of tasks) set.add(k);
      into.set(key, set);
    }
    reach = below;
  }
  return selected;
}

/** Runs the check on `valid`, closing in `state` (params and frozen set) what it closes. */
export async function checkFields(session: ort.InferenceSession, manifest: Manifest, state: TrainState, validation: Dataset): Promise<FieldCheck> {
  const spec = manifest.spec;
  const valid = validation.rows <= FIELD_CHECK_ROWS ? validation : selectRows(validation, permutation(validation.rows, Random.stream(spec.train.seed, FIELD_CHECK_STREAM)).subarray(0, FIELD_CHECK_ROWS).sort());
  const reached = tasksReached(spec, manifest, state.params);
  const groups = spec.groups
    .map((name) => ({ name, gates: selectionGateGroup(name), param: logAlphaParam(selectionGateGroup(name)), tasks: [...(reached.get(name) ?? [])] }))
    .filter((g) => state.params.has(g.param));
  type Pair = { fi: number; g: (typeof groups)[number] };
  const closedValue = closedLogAlpha(spec.gates);
  const open = (p: Pair) => foldGate(state.params.get(p.g.param)!.subarray(p.fi, p.fi + 1), spec.gates.gamma, spec.gates.zeta)[0]! > 0;
  const candidates = groups.flatMap((g) => spec.fields.map((_f, fi): Pair => ({ fi, g }))).filter(open);
  const everyTask = spec.tasks.map((_t, k) => k);
  let passes = 0;
  const evaluate = async (closed: readonly Pair[], shuffled?: number) => {
    passes++;
    const params = new Map(state.params);
    const copies = new Map<string, Float32Array>();
    for (const p of closed) {
      const logAlpha = copies.get(p.g.param) ?? state.params.get(p.g.param)!.slice();
      logAlpha[p.fi] = closedValue;
      copies.set(p.g.param, logAlpha);
      params.set(p.g.param, logAlpha);
    }
    let rows = valid;
    if (shuffled !== undefined) {
      const name = spec.fields[shuffled]!.name;
      const order = permutation(valid.rows, Random.stream(spec.train.seed, FIELD_CHECK_STREAM, state.progress.epoch, shuffled));
      rows = { ...valid, fields: { ...valid.fields, [name]: takeRows(valid.fields[name]!, order) } };
    }
    return rowLosses(spec, await predictDataset(session, manifest, { params, tables: state.store }, rows), valid);
  };
  /**
   * min(Δ0, Δπ) of pair p, less their noise, with the pairs `closed` closed, against their losses
   * `base` (Δπ only where Δ0 clears its noise: the minimum is ≤ 0 either way).
   */
  const worth = async (p: Pair, closed: readonly Pair[], base: readonly Float64Array[], shuffledLosses: (fi: number) => Promise<readonly Float64Array[]>) => {
    const zeroed = await evaluate([...closed, p]);
    const d0 = riseBeyondNoise(zeroed, base, everyTask);
    if (d0 <= 0) return { zeroed, rise: d0 };
    return { zeroed, rise: Math.min(d0, riseBeyondNoise(await shuffledLosses(p.fi), base, p.g.tasks)) };
  };
  let base = await evaluate([]);
  const shuffledAlone = new Map<number, readonly Float64Array[]>();
  const once = async (fi: number) => shuffledAlone.get(fi) ?? shuffledAlone.set(fi, await evaluate([], fi)).get(fi)!;
  const alone: (Pair & { zeroed: Float64Array[]; rise: number })[] = [];
  for (const p of candidates) alone.push({ ...p, ...(await worth(p, [], base, once)) });
  alone.sort((a, b) => a.rise - b.rise || a.fi - b.fi || spec.groups.indexOf(a.g.name) - spec.groups.indexOf(b.g.name));
  // A suspect recorded by name alone (a checkpoint from before the check went per group) stands for every group.
  const suspectBefore = new Set(state.fieldSuspects ?? []);
  const wasSuspect = (field: string, group: string) => suspectBefore.has(suspectKey(field, group)) || suspectBefore.has(field);
  const closed: Pair[] = [];
  const suspects: string[] = [];
  const out: FieldCheck = { closed: [], tried: candidates.length, passes: 0, rows: valid.rows, suspects };
  for (const a of alone) {
    if (a.rise > 0) break;
    const field = spec.fields[a.fi]!.name;
    if (!wasSuspect(field, a.g.name)) {
      suspects.push(suspectKey(field, a.g.name));
      continue;
    }
    const again = closed.length ? await worth(a, closed, base, (fi) => evaluate(closed, fi)) : a;
    if (again.rise > 0) {
      suspects.push(suspectKey(field, a.g.name));
      continue;
    }
    out.closed.push({ field, group: a.g.name, delta: totalLoss(again.zeroed) - totalLoss(base) });
    closed.push(a);
    base = again.zeroed;
  }
  out.passes = passes;
  if (suspects.length) state.fieldSuspects = suspects;
  else delete state.fieldSuspects;
  for (const p of closed) {
    const logAlpha = state.params.get(p.g.param)!;
    const mask = state.frozen.get(p.g.gates) ?? new Uint8Array(logAlpha.length);
    logAlpha[p.fi] = closedValue;
    mask[p.fi] = 1;
    state.frozen.set(p.g.gates, mask);
  }
  return out;
}

/** The log lines of a check: per field, the groups it left (or "every group" once none reads it) and the suspects. */
export function fieldCheckLines(check: FieldCheck, spec: Spec, params: ReadonlyMap<string, Float32Array>): string[] {
  const byField = <T extends { field: string }>(items: readonly T[]) => [...new Set(items.map((i) => i.field))].map((field) => ({ field, items: items.filter((i) => i.field === field) }));
  const gated = spec.groups.filter((g) => params.has(logAlphaParam(selectionGateGroup(g))));
  const closedValue = closedLogAlpha(spec.gates);
  const closedEverywhere = (field: string) => {
    const fi = spec.fields.findIndex((f) => f.name === field);
    return gated.every((g) => params.get(logAlphaParam(selectionGateGroup(g)))![fi] === Math.fround(closedValue));
  };
  const lines = byField(check.closed).map(({ field, items }) => {
    const delta = items.reduce((sum, c) => sum + c.delta, 0);
    const where = closedEverywhere(field) ? "every group" : items.map((c) => c.group).join(", ");
    return `field check: closed ${field} in ${where} (validation loss ${delta === 0 ? "unchanged" : `${delta > 0 ? "+" : ""}${delta.toExponential(1)}`} at once without it)`;
  });
  const suspects = byField(check.suspects.map((s) => ({ field: s.slice(0, s.lastIndexOf("@")), group: s.slice(s.lastIndexOf("@") + 1) })));
  if (suspects.length) {
    const named = suspects.map(({ field, items }) => `${field} (${items.map((i) => i.group).join(", ")})`).join(", ");
    lines.push(`field check: ${named} ${suspects.length === 1 && suspects[0]!.items.length === 1 ? "is" : "are"} worth nothing to the tasks served there on the validation rows now; closed if the next check agrees`);
  }
  return lines;
}
