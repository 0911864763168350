// Per-task evaluation metrics: AUC and log loss for binary tasks, RMSE for regression, accuracy
// and log loss for multiclass. Computed in float64 over whole evaluation sets.

/**
 * Area under the ROC curve via the Mann-Whitney U statistic, with tied scores sharing their
 * average rank: AUC = (Σ ranks of positives − P(P+1)/2) / (P·N). NaN when one class is absent.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]! > 0.5) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy of probabilities, clipped to [1e-7, 1 − 1e-7] as is usual. */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const eps = 1e-7;
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= labels[i]! > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probabilities.length;
}

/** Root mean squared error. */
export function rmse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += (predictions[i]! - targets[i]!) ** 2;
  return Math.sqrt(sum / predictions.length);
}

/** Fraction of rows whose highest-probability class is the label; `probabilities` is row-major [n, classes]. */
export function accuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

/** Mean cross-entropy of class probabilities [n, classes] against integer labels. */
export function multiclassLogLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const eps = 1e-7;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(eps, probabilities[i * classes + labels[i]!]!));
  return sum / labels.length;
}
