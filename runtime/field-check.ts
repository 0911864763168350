// The validation field check (docs/design.md, "Field selection on held-out rows"). Field gates
// trained on the training loss keep a field that lets the network memorize, such as an id column
// with no signal: it lowers the training loss as much as a real driver does. So at each epoch end
// from the end of the gate warm-up on, every field still open in some group is tested on the
// validation rows with the eval graph, against the joint task loss there:
//
//   L = Σ_t w_t L_t    (L_t: log loss, or mean squared error for a regression task)
//   Δ0(f) = L(f closed in every group) − L     what closing costs as it is
//   Δπ(f) = L(f's column shuffled) − L         what the field's information is worth
//
// Δ0 alone would keep a harmless field, since zeroing its embedding shifts the next layer (which
// training then absorbs); Δπ alone would keep a memorized field about half of the time, since
// shuffled noise is still noise. A field with min(Δ0, Δπ) ≤ 0 is a suspect; a suspect of the check
// before that is one again is closed (two checks in a row, so that a field the network has not
// learned yet, worth nothing at one epoch end, gets another epoch). Fields are taken in the order
// of that minimum (Δπ is evaluated only where Δ0 > 0), each tested again with the fields closed
// before it (so of two copies of one signal, such as Adult's education and education-num, the
// second stays). Closing sets the field's log α to CLOSED_LOG_ALPHA in every group and freezes
// those elements (runtime/freeze.ts), so training leaves them and the export prunes the field.

import { foldGate, logAlphaParam, selectForm, selectionGateGroup, type Manifest, type Spec } from "../compiler/index.js";
import type ort from "onnxruntime-node";
import type { TrainState } from "./checkpoint.js";
import type { Dataset } from "./data/dataset.js";
import { metricWeights, predictDataset, type Predictions } from "./evaluate.js";
import { logLoss, multiclassLogLoss, rmse } from "./metrics.js";
import { permutation, Random } from "../base/random.js";
import { selectRows, takeRows } from "./data/select-rows.js";

/** The random stream of the field check's shuffles, keyed by epoch and field: apart from training's and importance's. */
const FIELD_CHECK_STREAM = 81;

/**
 * The most validation rows a check reads: a seeded sample of them beyond, so that its at most
 * 4F + 1 evaluation passes cost about what one validation pass over 20 F rows does.
 */
export const FIELD_CHECK_ROWS = 20_000;

/**
 * The log α a closed field gets: its deterministic gate is 0 (below log(−γ/ζ) ≈ −2.4), its
 * P(z > 0) ≈ 2e-4 with the default constants, and with the frozen noise ε its sample is exactly 0.
 */
export const CLOSED_LOG_ALPHA = -10;

/** Whether a run checks its fields on the validation rows: field gates, validation rows, and `train.validate_fields` not false. */
export function checksFields(spec: Spec, hasValidation: boolean): boolean {
  const form = selectForm(spec);
  return hasValidation && (form === "l0" || form === "l0_tanh") && (spec.train.validate_fields ?? true);
}

/** What a check closed: each field with its min(Δ0, Δπ) of the joint validation loss, in the order closed. */
export interface FieldCheck {
  closed: { field: string; delta: number }[];
  /** Candidates tried (fields open in some group before the check). */
  tried: number;
  /** Fields whose closing did not raise the loss this time, closed if it does not at the next check either. */
  suspects: string[];
}

/** The joint task loss Σ_t w_t L_t of the training objective on held-out rows (their labelled rows, by sample weight). */
function jointLoss(spec: Spec, predictions: Predictions, data: Dataset): number {
  return spec.tasks.reduce((sum, t) => {
    const p = predictions[t.name]!;
    const y = data.labels[t.name]!;
    const { weights } = metricWeights(y, data.weights?.[t.name]);
    const loss = t.kind === "binary" ? logLoss(p, y, weights) : t.kind === "regression" ? rmse(p, y, weights) ** 2 : multiclassLogLoss(p, y, t.classes, weights);
    return sum + t.weight * loss;
  }, 0);
}

/** Runs the check on `valid`, closing in `state` (params and frozen set) what it closes. */
export async function checkFields(session: ort.InferenceSession, manifest: Manifest, state: TrainState, validation: Dataset): Promise<FieldCheck> {
  const spec = manifest.spec;
  const valid = validation.rows <= FIELD_CHECK_ROWS ? validation : selectRows(validation, permutation(validation.rows, Random.stream(spec.train.seed, FIELD_CHECK_STREAM)).subarray(0, FIELD_CHECK_ROWS).sort());
  const groups = spec.groups.map((g) => ({ gates: selectionGateGroup(g), param: logAlphaParam(selectionGateGroup(g)) })).filter((g) => state.params.has(g.param));
  const isOpen = (fi: number) => groups.some((g) => foldGate(state.params.get(g.param)!.subarray(fi, fi + 1), spec.gates.gamma, spec.gates.zeta)[0]! > 0);
  const candidates = spec.fields.map((_f, fi) => fi).filter(isOpen);
  const evaluate = async (closed: readonly number[], shuffled?: number) => {
    const params = new Map(state.params);
    for (const g of groups) {
      const logAlpha = state.params.get(g.param)!.slice();
      for (const fi of closed) logAlpha[fi] = CLOSED_LOG_ALPHA;
      params.set(g.param, logAlpha);
    }
    let rows = valid;
    if (shuffled !== undefined) {
      const name = spec.fields[shuffled]!.name;
      const order = permutation(valid.rows, Random.stream(spec.train.seed, FIELD_CHECK_STREAM, state.progress.epoch, shuffled));
      rows = { ...valid, fields: { ...valid.fields, [name]: takeRows(valid.fields[name]!, order) } };
    }
    return jointLoss(spec, await predictDataset(session, manifest, { params, tables: state.store }, rows), valid);
  };
  /** min(Δ0, Δπ) of field fi with the fields `closed` closed, against their loss `base` (Δπ only where Δ0 > 0: the minimum is ≤ 0 either way). */
  const worth = async (fi: number, closed: readonly number[], base: number) => {
    const zeroed = await evaluate([...closed, fi]);
    return { zeroed, rise: zeroed <= base ? zeroed - base : Math.min(zeroed, await evaluate(closed, fi)) - base };
  };
  let base = await evaluate([]);
  const alone: { fi: number; zeroed: number; rise: number }[] = [];
  for (const fi of candidates) alone.push({ fi, ...(await worth(fi, [], base)) });
  alone.sort((a, b) => a.rise - b.rise || a.fi - b.fi);
  const suspectBefore = new Set(state.fieldSuspects ?? []);
  const closed: number[] = [];
  const suspects: string[] = [];
  const out: FieldCheck = { closed: [], tried: candidates.length, suspects };
  for (const { fi, zeroed, rise } of alone) {
    if (rise > 0) break;
    const field = spec.fields[fi]!.name;
    if (!suspectBefore.has(field)) {
      suspects.push(field);
      continue;
    }
    const again = closed.length ? await worth(fi, closed, base) : { zeroed, rise };
    if (again.rise > 0) {
      suspects.push(field);
      continue;
    }
    out.closed.push({ field, delta: again.rise });
    closed.push(fi);
    base = again.zeroed;
  }
  if (suspects.length) state.fieldSuspects = suspects;
  else delete state.fieldSuspects;
  for (const g of groups) {
    const logAlpha = state.params.get(g.param)!;
    const mask = state.frozen.get(g.gates) ?? new Uint8Array(logAlpha.length);
    for (const fi of closed) {
      logAlpha[fi] = CLOSED_LOG_ALPHA;
      mask[fi] = 1;
    }
    if (closed.length) state.frozen.set(g.gates, mask);
  }
  return out;
}
