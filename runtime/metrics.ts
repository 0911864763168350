// Per-task evaluation metrics: AUC and log loss for binary tasks, RMSE for regression, accuracy
// and log loss for multiclass. Computed in float64 over whole evaluation sets.
//
// Each takes optional row weights (docs/design.md, "Partial labels and sample weights"): a row
// weighs w_i in every sum and mean, and a row of weight 0 is not read at all (that is how a row
// without a label is left out: its label may be NaN). Without weights every row weighs 1, and the
// numbers are the unweighted ones.

/** Row i's weight: 1 without weights. */
const weightOf = (weights: ArrayLike<number> | undefined, i: number): number => (weights ? weights[i]! : 1);

/**
 * Area under the ROC curve: the weighted fraction of (positive, negative) pairs ranked correctly,
 * ties counting half, AUC = Σ_pos w_p (W_neg below p + ½ W_neg tied with p) / (W_pos · W_neg)
 * (with unit weights, the Mann-Whitney U statistic over P·N). NaN when one class has no weight.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const order = rankOrder(scores, weights);
  const n = order.length;
  let negativesBelow = 0;
  let positives = 0;
  let sum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    let pos = 0;
    let neg = 0;
    for (let k = i; k <= j; k++) {
      const r = order[k]!;
      if (labels[r]! > 0.5) pos += weightOf(weights, r);
      else neg += weightOf(weights, r);
    }
    sum += pos * (negativesBelow + neg / 2);
    negativesBelow += neg;
    positives += pos;
    i = j + 1;
  }
  const negatives = negativesBelow;
  if (positives === 0 || negatives === 0) return NaN;
  return sum / (positives * negatives);
}

/** Rows of scores as float32 whose index fits in INDEX_BITS: then a row's sort key is exact in a float64. */
const INDEX_BITS = 21;

/**
 * The rows of weight > 0 in ascending order of score. Float32 scores (predictions) sort natively:
 * each row becomes one float64 key, its score's bits mapped to an unsigned integer in the order of
 * the floats, times 2^21, plus the row's index (at most 2^53, so exact), and a Float64Array sorts
 * without a comparator call per pair (the comparator sort took about 1.2 s of a 10-epoch zoo MSSM
 * run's validation). Other scores, and more than 2^21 rows, take the comparator.
 */
function rankOrder(scores: ArrayLike<number>, weights?: ArrayLike<number>): ArrayLike<number> {
  const n = scores.length;
  if (!(scores instanceof Float32Array) || n > 2 ** INDEX_BITS) {
    return Array.from({ length: n }, (_, i) => i)
      .filter((i) => weightOf(weights, i) > 0)
      .sort((a, b) => scores[a]! - scores[b]!);
  }
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  const keys = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!(weightOf(weights, i) > 0)) continue;
    const b = bits[i]!;
    // Negative floats reverse their bit order; positive ones follow it above every negative one.
    const ordered = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    keys[m++] = ordered * 2 ** INDEX_BITS + i;
  }
  const sorted = keys.subarray(0, m).sort();
  const order = new Int32Array(m);
  for (let k = 0; k < m; k++) order[k] = sorted[k]! % 2 ** INDEX_BITS;
  return order;
}

/** Mean (weighted) binary cross-entropy of probabilities, clipped to [1e-7, 1 − 1e-7] as is usual. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const eps = 1e-7;
  let sum = 0;
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const w = weightOf(weights, i);
    if (w === 0) continue;
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= w * (labels[i]! > 0.5 ? Math.log(p) : Math.log(1 - p));
    total += w;
  }
  return sum / total;
}

/** Root (weighted) mean squared error: sqrt(Σ w (p − y)² / Σ w). */
export function rmse(predictions: ArrayLike<number>, targets: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < predictions.length; i++) {
    const w = weightOf(weights, i);
    if (w === 0) continue;
    sum += w * (predictions[i]! - targets[i]!) ** 2;
    total += w;
  }
  return Math.sqrt(sum / total);
}

/** (Weighted) fraction of rows whose highest-probability class is the label; `probabilities` is row-major [n, classes]. */
export function accuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number, weights?: ArrayLike<number>): number {
  let correct = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weightOf(weights, i);
    if (w === 0) continue;
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    if (best === labels[i]) correct += w;
    total += w;
  }
  return correct / total;
}

/** Mean (weighted) cross-entropy of class probabilities [n, classes] against integer labels. */
export function multiclassLogLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number, weights?: ArrayLike<number>): number {
  const eps = 1e-7;
  let sum = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weightOf(weights, i);
    if (w === 0) continue;
    sum -= w * Math.log(Math.max(eps, probabilities[i * classes + labels[i]!]!));
    total += w;
  }
  return sum / total;
}
