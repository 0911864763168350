import { describe, expect, it } from "vitest";
import { accuracy, auc, logLoss, multiclassLogLoss, rmse } from "../../runtime/metrics.js";

/** AUC by definition: the fraction of (positive, negative) pairs ranked correctly, ties half. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let good = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      pairs++;
      good += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return good / pairs;
}

describe("metrics", () => {
  it("AUC equals the pairwise definition, ties included", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 7;
      // Rounded scores make ties common.
      const scores = Array.from({ length: n }, () => Math.round(rand() * 10) / 10);
      const labels = scores.map((s) => (rand() < 0.3 + 0.4 * s ? 1 : 0));
      expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
    }
  });

  it("AUC of float32 scores (the native-sort path) equals the pairwise definition: negative and positive scores, ±0, ties, weights", () => {
    let seed = 4242;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 10; trial++) {
      const n = 60 + trial * 11;
      const scores = Float32Array.from({ length: n }, () => (rand() < 0.1 ? (rand() < 0.5 ? 0 : -0) : Math.round((rand() * 8 - 4) * 4) / 4 + (rand() < 0.5 ? 1e-3 * rand() : 0)));
      const labels = Array.from(scores, (x) => (rand() < 0.5 + x / 10 ? 1 : 0));
      expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(Array.from(scores), labels), 12);
      const weights = Float32Array.from({ length: n }, () => Math.floor(rand() * 3));
      const rep = <T>(xs: ArrayLike<T>) => Array.from(xs).flatMap((x, i) => Array<T>(weights[i]!).fill(x));
      expect(auc(scores, labels, weights)).toBeCloseTo(pairwiseAuc(rep(scores), rep(labels)), 12);
    }
  });

  it("AUC is 1 for a perfect ranking, 0.5 for constant scores, NaN with one class", () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.5, 0.5, 0.5], [0, 1, 0])).toBe(0.5);
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it("log loss, RMSE and accuracy on known numbers", () => {
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expect(logLoss([0, 1], [1, 0])).toBeCloseTo(-Math.log(1e-7), 6);
    expect(rmse([1, 2, 3], [1, 4, 3])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(accuracy([0.1, 0.9, 0.7, 0.3, 0.2, 0.8], [1, 1, 0], 2)).toBeCloseTo(1 / 3, 12);
    expect(multiclassLogLoss([0.25, 0.75, 0.5, 0.5], [1, 0], 2)).toBeCloseTo(-(Math.log(0.75) + Math.log(0.5)) / 2, 12);
  });

  it("weighted metrics equal the unweighted ones on rows repeated by their (whole) weights; weight 0 leaves a row out, NaN label included", () => {
    let seed = 777;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 10; trial++) {
      const n = 40 + trial * 5;
      const scores = Array.from({ length: n }, () => Math.round(rand() * 8) / 8);
      const labels = scores.map((s) => (rand() < 0.2 + 0.6 * s ? 1 : 0));
      const weights = scores.map(() => Math.floor(rand() * 4)); // 0..3
      const rep = <T,>(xs: T[]) => xs.flatMap((x, i) => Array.from({ length: weights[i]! }, () => x));
      const withNaN = labels.map((y, i) => (weights[i] === 0 ? NaN : y));
      expect(auc(scores, withNaN, weights)).toBeCloseTo(pairwiseAuc(rep(scores), rep(labels)), 12);
      expect(logLoss(scores, withNaN, weights)).toBeCloseTo(logLoss(rep(scores), rep(labels)), 12);
      const targets = scores.map(() => rand() * 4 - 2);
      expect(rmse(scores, targets.map((t, i) => (weights[i] === 0 ? NaN : t)), weights)).toBeCloseTo(rmse(rep(scores), rep(targets)), 12);
      const probs = scores.flatMap((s) => [s, 1 - s]);
      const classes = labels.map((y) => 1 - y);
      const repProbs = rep(scores).flatMap((s) => [s, 1 - s]);
      expect(accuracy(probs, classes, 2, weights)).toBeCloseTo(accuracy(repProbs, rep(classes), 2), 12);
      expect(multiclassLogLoss(probs, classes, 2, weights)).toBeCloseTo(multiclassLogLoss(repProbs, rep(classes), 2), 12);
    }
    // Fractional weights: one positive of weight 3 above two negatives of weights 1 and 2, below one of weight 1.
    expect(auc([0.9, 0.1, 0.2, 0.95], [1, 0, 0, 0], [3, 1, 2, 1])).toBeCloseTo((3 * 3) / (3 * 4), 12);
  });
});
