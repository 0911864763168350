// Numeric fields: parsed strictly, transformed (log1p for heavy tails), then standardized with the
// training rows' mean and standard deviation. A missing value becomes the mean, which is exactly
// 0 after standardization, and is counted so the user learns how much was filled in.

import { type NumericTransform } from "../../compiler/index.js";

/** Training statistics of one numeric field, after its transform; stored in checkpoints. */
export interface NumericStats {
  transform: NumericTransform;
  /** Mean of the transformed training values (0 when there were none). */
  mean: number;
  /** Population standard deviation of the transformed training values (1 when it was 0). */
  std: number;
  /** How many training values (not missing) the statistics were computed from. */
  count: number;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** A decimal number (`12`, `-0.5`, `1e-3`), or undefined for anything else (`0x10`, `inf`, `1,5`). */
export function parseNumber(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const x = Number(text);
  return Number.isFinite(x) ? x : undefined;
}

/** What a numeric cell must look like under `transform`, for bad-row messages. */
export function expectedNumber(transform: NumericTransform): string {
  return transform === "log1p" ? "a number greater than -1 (the field uses log1p)" : "a number";
}

/**
 * The transformed value of a numeric cell, or undefined when it is not a number, lies outside the
 * transform's domain (log1p needs x > -1) or outside float32 range (the model computes in float32).
 */
export function readNumeric(text: string, transform: NumericTransform): number | undefined {
  const x = parseNumber(text);
  return x === undefined ? undefined : transformNumber(x, transform);
}

/** The transformed value of a number read as one (a Parquet double), under readNumeric's rules: undefined for NaN, infinities and out-of-range values. */
export function transformNumber(x: number, transform: NumericTransform): number | undefined {
  if (!Number.isFinite(x) || Math.abs(x) > FLOAT32_MAX) return undefined;
  if (transform === "none") return x;
  return x > -1 ? Math.log1p(x) : undefined;
}

/**
 * Mean and standard deviation of the transformed values at `rows` (all rows when omitted),
 * skipping NaN (missing). Welford's update keeps it exact enough for any row count:
 * mean_k = mean_{k-1} + (x - mean_{k-1}) / k;  M2_k = M2_{k-1} + (x - mean_{k-1})(x - mean_k).
 */
export function fitNumeric(values: Float64Array, transform: NumericTransform, rows?: Int32Array): NumericStats {
  const acc = new NumericAccumulator();
  const n = rows ? rows.length : values.length;
  for (let k = 0; k < n; k++) acc.add(values[rows ? rows[k]! : k]!);
  return acc.stats(transform);
}

/** fitNumeric's running state, fed one value at a time (a streamed file, block after block, gives the same bits as one array). */
export class NumericAccumulator {
  private count = 0;
  private mean = 0;
  private m2 = 0;

  /** Adds one transformed value; NaN (missing) is skipped. */
  add(x: number): void {
    if (Number.isNaN(x)) return;
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
  }

  /** The statistics of the values added so far. */
  stats(transform: NumericTransform): NumericStats {
    const std = this.count > 0 ? Math.sqrt(this.m2 / this.count) : 0;
    // A constant field carries no information; dividing by 1 keeps it finite (it becomes all zeros).
    return { transform, mean: this.mean, std: std > 0 ? std : 1, count: this.count };
  }
}

/** z = (x - mean) / std as a float32, with NaN (missing) imputed as the mean, i.e. 0. */
export function standardize(x: number, stats: NumericStats): number {
  if (Number.isNaN(x)) return 0;
  const z = (x - stats.mean) / stats.std;
  // Clamped so a test value far outside the training range stays finite in float32.
  return Math.max(-FLOAT32_MAX, Math.min(FLOAT32_MAX, z));
}
