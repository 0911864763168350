import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../compiler/load/load.js";
import { checkpointPath, decodeCheckpoint, loadTrainedModel, writeCheckpoint } from "../../runtime/checkpoint.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { UserError } from "../../base/user-error.js";
import { learningRate, train } from "../../runtime/train.js";
import { compiled, SMALL_SPEC, smallCsv, smallData, smallSpec, tempDir, writeTemp } from "./helpers.js";

const quiet = { device: "cpu" as const, threads: 1, log: () => {} };

describe("train", () => {
  it("learns an easy separable task: the loss goes down and validation AUC passes 0.9", async () => {
    const spec = smallSpec();
    const runDir = tempDir();
    const result = await train(compiled(spec), await smallData(spec), { ...quiet, runDir });
    expect(result.status).toBe("done");
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(result.history[2]!.step).toBe(30); // 320 training rows, batch 32
    expect(result.history[2]!.loss).toBeLessThan(result.history[0]!.loss);
    const valid = result.history[2]!.valid!;
    expect((valid["y"] as { auc: number }).auc).toBeGreaterThan(0.9);
    const lines = readFileSync(`${runDir}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(Object.keys(lines[0].task_loss)).toEqual(["y", "r"]);
    // The best checkpoint loads as a TrainedModel with the fitted tables.
    const model = loadTrainedModel(runDir, "best");
    expect(model.tables.get("c")!.rows).toBe(5); // four values and id 0
    expect(model.params.size).toBe(model.manifest.params.length);
  });

  it("is deterministic: two runs with one seed give bit-identical checkpoints", async () => {
    const spec = smallSpec({ epochs: 2 });
    const [a, b] = [tempDir(), tempDir()];
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: a });
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: b });
    expect(readFileSync(checkpointPath(a, "last")).equals(readFileSync(checkpointPath(b, "last")))).toBe(true);
  });

  it("resumes exactly: 15 steps, stop, resume to 30 equals 30 straight, bit for bit", async () => {
    const spec = smallSpec();
    const straight = tempDir();
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: straight });
    const interrupted = tempDir();
    const first = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, stopAtStep: 15 });
    expect(first.status).toBe("stopped");
    expect(first.state.progress).toEqual({ epoch: 1, batch: 5, step: 15 }); // mid-epoch
    const second = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
    expect(second.status).toBe("done");
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last")))).toBe(true);
    expect(readFileSync(checkpointPath(interrupted, "best")).equals(readFileSync(checkpointPath(straight, "best")))).toBe(true);
  });

  it("refuses to resume on other data, or a run whose hashed field used another hash (FNV-1a, before MurmurHash3)", async () => {
    const r = loadSpec(writeTemp("hashed.mssm", SMALL_SPEC.replace("c categorical(dim: 4)", "c categorical(dim: 4, hash_buckets: 8)")));
    const spec = r.spec!;
    const runDir = tempDir();
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir, stopAtStep: 5 });
    const other = await loadTrainingData(spec, writeTemp("other.csv", smallCsv(300)), { validFraction: 0.2, seed: spec.train.seed });
    const refused = await train(compiled(spec), { train: other.train, valid: other.valid, preprocessing: other.preprocessing }, { ...quiet, runDir, resume: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).message).toMatch(/the training data gives other vocabularies or statistics than the data this run started with/);
    // The same run as an older mssmc would have written it: field c hashed with FNV-1a.
    const path = checkpointPath(runDir, "last");
    const c = decodeCheckpoint(readFileSync(path), path);
    c.preprocessing.fields["c"] = { kind: "categorical", vocab: { kind: "hash", hash: "fnv1a32-utf8", buckets: 8 } };
    writeCheckpoint(path, c);
    const old = await train(compiled(spec), await smallData(spec), { ...quiet, runDir, resume: true }).catch((e: unknown) => e);
    expect(old).toBeInstanceOf(UserError);
    expect((old as UserError).message).toBe(
      `${path}: this run hashed field "c" with fnv1a32-utf8, and this mssmc hashes new data with murmur3-32-utf8 (which exported models can compute); a run cannot change its hash, so start a new run.`,
    );
  });

  it("stops on a NaN or infinite loss with a clear message and keeps the last good checkpoint", async () => {
    const spec = smallSpec({ optimizer: { kind: "sgd", lr: 1e30, momentum: 0, nesterov: false, weight_decay: 0 } });
    const runDir = tempDir();
    const error = await train(compiled(spec), await smallData(spec), { ...quiet, runDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe("diverged");
    expect((error as UserError).message).toMatch(/^training diverged: the loss is (NaN|Infinity|-Infinity) at step \d+ \(epoch 1\); no checkpoint was written yet\. Try a lower learning rate/);
  });

  it("stops early when validation does not improve for `patience` epochs", async () => {
    // A learning rate of 0 never improves after the first epoch.
    const zero = { kind: "sgd" as const, lr: 0, momentum: 0, nesterov: false, weight_decay: 0 };
    const spec = smallSpec({ epochs: 5, patience: 2, gate_warmup: 0, optimizer: zero, gate_optimizer: zero, embedding_optimizer: zero });
    const result = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() });
    expect(result.status).toBe("early_stop");
    expect(result.history.length).toBe(3);
    expect(result.state.best!.epoch).toBe(1);
  });
});

describe("learningRate", () => {
  const base = smallSpec().train;
  it("warms up linearly, then follows the schedule down to 0", () => {
    const t = { ...base, warmup_steps: 10 };
    expect(learningRate(1, t, 5, 110)).toBe(0.5);
    expect(learningRate(1, { ...t, schedule: "constant" }, 60, 110)).toBe(1);
    expect(learningRate(1, { ...t, schedule: "linear" }, 60, 110)).toBe(0.5);
    expect(learningRate(1, { ...t, schedule: "cosine" }, 60, 110)).toBeCloseTo(0.5, 12);
    expect(learningRate(1, { ...t, schedule: "cosine" }, 110, 110)).toBe(0);
  });
});
