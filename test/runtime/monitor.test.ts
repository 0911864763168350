// Choosing the best epoch (docs/design.md, "Early stopping"): `train { monitor: ... }` or the
// default, printed once at the start of training; and a regression tower's output bias starting
// at the training label mean (the `label_mean` initialiser).

import { describe, expect, it } from "vitest";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { describeMonitor, selectionScore, type TaskMetrics } from "../../runtime/evaluate.js";
import { initialState, train } from "../../runtime/train.js";
import { compiled, SMALL_SPEC, smallCsv, smallData, tempDir, writeTemp } from "./helpers.js";

const specWith = (train: string, text = SMALL_SPEC): Spec => {
  const r = loadSpec(writeTemp("m.mssm", text.replace("train { ", `train { ${train}, `)));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.spec;
};

describe("the monitor", () => {
  const metrics: Record<string, TaskMetrics> = { y: { auc: 0.8, logloss: 0.4, labelled: 10 }, r: { rmse: 0.5, labelled: 10 } };

  it("is by default the mean of each task's AUC and -RMSE, and says so", () => {
    const spec = specWith("patience: 1");
    expect(selectionScore(metrics)).toBeCloseTo((0.8 - 0.5) / 2, 15);
    expect(describeMonitor(spec)).toBe("monitor (maximized on validation data): the mean of y.auc, -r.rmse (the default; choose with train { monitor: ... })");
  });

  it("is the weighted sum of the chosen metrics, lower-is-better ones negated", () => {
    const spec = specWith("monitor: 0.7 * y.auc + 0.3 * y.logloss + 2 * r.rmse");
    expect(selectionScore(metrics, spec.train.monitor)).toBeCloseTo(0.7 * 0.8 - 0.3 * 0.4 - 2 * 0.5, 15);
    expect(describeMonitor(spec)).toBe("monitor (maximized on validation data): 0.7 * y.auc - 0.3 * y.logloss - 2 * r.rmse");
  });

  it("chooses the best epoch in training, and is printed once at its start", async () => {
    for (const monitor of ["monitor: r.rmse", "monitor: y.logloss"]) {
      const base = specWith(monitor);
      const spec = { ...base, train: { ...base.train, epochs: 4 } };
      const lines: string[] = [];
      const result = await train(compiled(spec), await smallData(spec), { runDir: tempDir(), device: "cpu", threads: 1, log: (l) => lines.push(l) });
      expect(lines.filter((l) => l.startsWith("monitor ")), monitor).toEqual([describeMonitor(spec)]);
      const [task, metric] = monitor.slice("monitor: ".length).split(".") as [string, string];
      const values = result.history.map((h) => (h.valid![task] as Record<string, number>)[metric]!);
      const best = values.indexOf(Math.min(...values));
      expect(result.state.best!.epoch, monitor).toBe(best + 1);
      expect(result.state.best!.score).toBe(-values[best]!);
    }
  });
});

describe("a regression tower's output bias", () => {
  it("starts at the mean of the training labels; the manifest says label_mean", async () => {
    // r = 2x + 3 on the small data: a mean far from 0.
    const text = smallCsv(200).replace(/,(-?[\d.]+)$/gm, (_m, r: string) => `,${(Number(r) + 3).toFixed(4)}`);
    const spec = specWith("patience: 0");
    const model = compiled(spec);
    expect(model.manifest.params.find((p) => p.name === "towers/r/out/bias")!.init).toEqual({ kind: "label_mean", task: "r" });
    expect(model.manifest.params.find((p) => p.name === "towers/y/out/bias")!.init).toEqual({ kind: "zeros" });
    const data = await loadTrainingData(spec, writeTemp("r.csv", text), { validFraction: 0.2, seed: 1 });
    // The mean over the training rows, from the file's text.
    const r = text.trim().split("\n").slice(1).map((l) => Number(l.split(",")[3]));
    const trainRows = [...data.train.lines].map((line) => r[line - 2]!);
    const mean = trainRows.reduce((a, b) => a + b, 0) / trainRows.length;
    expect(mean).toBeGreaterThan(2);
    const lines: string[] = [];
    const result = await train(model, { train: data.train, valid: data.valid, preprocessing: data.preprocessing }, { runDir: tempDir(), device: "cpu", threads: 1, log: (l) => lines.push(l), stopAtStep: 1 });
    expect(result.status).toBe("stopped");
    const fresh = initialState(model.manifest, data.preprocessing, spec.train.seed, new Map([["r", mean]]));
    expect(fresh.params.get("towers/r/out/bias")![0]).toBeCloseTo(mean, 5);
    // After one step from there, the bias is still near the mean (Adam moves it by about lr = 0.02).
    expect(Math.abs(result.state.params.get("towers/r/out/bias")![0]! - mean)).toBeLessThan(0.05);
  });
});
