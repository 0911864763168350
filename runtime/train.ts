// The training loop: feeds train.onnx one batch at a time exactly as the manifest lists its
// inputs, keeps every parameter, optimizer state and embedding table in the runtime's own
// Float32Arrays, evaluates on validation data after each epoch with eval.onnx, logs metrics,
// stops early, and checkpoints so that a run can resume bit for bit.
//
// Determinism: the batch order of epoch e comes from Rng(seed, STREAM.shuffle, e), the gate noise
// of step t from Rng(seed, STREAM.gateNoise, t), initial weights from streams derived by name, and
// onnxruntime runs with a fixed number of intra-op threads. ORT's CPU kernels split work into
// fixed per-thread ranges and sum in a fixed order, so with the same thread count a run repeats
// bit for bit (test/runtime/train.test.ts; measured on the MSSM zoo model on Adult with 2 threads
// twice: byte-identical checkpoints, and here also identical to 1 thread). A different thread count
// may in general change the last bits of reductions split across threads, so record `--threads`
// with a run you mean to reproduce.

import { appendFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { Manifest, TensorInfo } from "../compiler/compile.js";
import { writeFileAtomic } from "../compiler/fs/atomic-write.js";
import { initialValue } from "../compiler/ir/init.js";
import type { Param } from "../compiler/ir/graph.js";
import { invariant } from "../compiler/source/diagnostic.js";
import type { Optimizer, Task, Train } from "../compiler/spec/types.js";
import { checkpointPath, readCheckpoint, writeCheckpoint, type Checkpoint, type TrainState } from "./checkpoint.js";
import { batchCount, batches, numericFields, type Batch } from "./data/batches.js";
import type { Dataset, Preprocessing } from "./data/dataset.js";
import { Rng, STREAM } from "./data/random.js";
import { EmbeddingStore } from "./embeddings/store.js";
import { UserError } from "./errors.js";
import { dataFeed, formatMetricsTable, predictDataset, selectionScore, taskMetrics, type TaskMetrics } from "./evaluate.js";
import { ProgressBar } from "./progress.js";
import { openSession, type Device } from "./session.js";

/** Gate noise is drawn from U(NOISE_EPS, 1 − NOISE_EPS), so log u and log(1 − u) stay finite. */
export const NOISE_EPS = 1e-6;

/** The compiled graphs and their manifest. */
export interface CompiledModel {
  manifest: Manifest;
  train: Uint8Array;
  eval: Uint8Array;
}

/** The data of a run: training rows, optional validation rows, and the preprocessing fitted on the training rows. */
export interface RunData {
  train: Dataset;
  valid: Dataset | undefined;
  preprocessing: Preprocessing;
}

export interface TrainOptions {
  /** The run folder: artifact/, preprocessing.json (unless resuming), checkpoints/ and metrics.jsonl are written here. */
  runDir: string;
  device: Device;
  /** onnxruntime intra-op threads (0: onnxruntime chooses, which is not reproducible across machines). */
  threads: number;
  /** Continue from checkpoints/last.ckpt. */
  resume?: boolean;
  /** Stop once this many steps are done in all, writing the last checkpoint (for interrupting a run on purpose). */
  stopAtStep?: number;
  /** Receives each summary line (default: standard output). */
  log?: (line: string) => void;
  /** A terminal for the progress bar; none: no bar. */
  tty?: NodeJS.WriteStream;
}

/** One epoch's record, as appended to metrics.jsonl. */
export interface EpochRecord {
  epoch: number;
  step: number;
  /** Mean over the epoch's steps of the total loss, each task's loss, and the expected L0. */
  loss: number;
  task_loss: Record<string, number>;
  l0: number;
  valid: Record<string, TaskMetrics> | null;
  /** Wall time of the epoch's training steps, and of the whole epoch with validation. */
  train_seconds: number;
  seconds: number;
  samples_per_second: number;
}

export interface TrainResult {
  /** done: every epoch ran; early_stop: patience ran out; stopped: stopAtStep was reached. */
  status: "done" | "early_stop" | "stopped";
  state: TrainState;
  history: EpochRecord[];
}

/** The learning rate of a group's optimizer at step t (1-based): linear warmup, then constant, cosine or linear decay to 0. */
export function learningRate(base: number, train: Train, t: number, totalSteps: number): number {
  const warmup = train.warmup_steps;
  if (warmup > 0 && t <= warmup) return (base * t) / warmup;
  if (train.schedule === "constant") return base;
  const span = Math.max(1, totalSteps - warmup);
  const progress = Math.min(1, Math.max(0, (t - warmup) / span));
  // cosine: lr · ½(1 + cos(π · progress)); linear: lr · (1 − progress)
  return train.schedule === "cosine" ? base * 0.5 * (1 + Math.cos(Math.PI * progress)) : base * (1 - progress);
}

/** The optimizer settings of a parameter group. */
function optimizerOf(train: Train, group: string): Optimizer {
  if (group === "dense") return train.optimizer;
  if (group === "gate") return train.gate_optimizer;
  invariant(group === "embedding", `unknown parameter group "${group}"`);
  return train.embedding_optimizer;
}

/** A fresh training state: parameters from the manifest's initialisers, optimizer states at their init values, new embedding tables. */
export function initialState(manifest: Manifest, preprocessing: Preprocessing, seed: number): TrainState {
  const params = new Map<string, Float32Array>();
  for (const p of manifest.params) {
    const param = { value: { name: p.name, shape: p.shape, dtype: p.dtype }, init: p.init, group: p.group, doc: p.doc } as unknown as Param;
    params.set(p.name, Float32Array.from(initialValue(param, seed)));
  }
  const states = new Map<string, Float32Array>();
  for (const input of manifest.graphs.train.inputs) {
    if (input.role !== "state" || !params.has(input.of ?? "")) continue;
    const s = new Float32Array(params.get(input.of!)!.length);
    if (input.init) s.fill(input.init);
    states.set(input.name, s);
  }
  return { params, states, store: EmbeddingStore.initial(manifest, preprocessing, seed), progress: { epoch: 0, batch: 0, step: 0 }, best: null, stale: 0 };
}

/** The gate noise of step t: one U(ε, 1 − ε) draw per gate, group after group in manifest order. */
export function gateNoise(manifest: Manifest, seed: number, t: number): Map<string, Float32Array> {
  const rng = new Rng(seed, STREAM.gateNoise, t);
  const out = new Map<string, Float32Array>();
  for (const g of manifest.gate_groups) {
    const u = new Float32Array(g.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < u.length; i++) u[i] = NOISE_EPS + (1 - 2 * NOISE_EPS) * rng.float();
    out.set(g.noise, u);
  }
  return out;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Trains a compiled model on `data`, from scratch or (with `resume`) from the run's last checkpoint. */
export async function train(model: CompiledModel, data: RunData, options: TrainOptions): Promise<TrainResult> {
  const { manifest } = model;
  const spec = manifest.spec;
  const settings = spec.train;
  const seed = settings.seed;
  const log = options.log ?? ((line: string) => process.stdout.write(line + "\n"));
  mkdirSync(join(options.runDir, "checkpoints"), { recursive: true });
  if (!options.resume) writeRunFiles(options.runDir, model, data.preprocessing);
  const metricsPath = join(options.runDir, "metrics.jsonl");

  let state: TrainState;
  if (options.resume) {
    const c = readCheckpoint(checkpointPath(options.runDir, "last"), manifest);
    if (JSON.stringify(c.preprocessing) !== JSON.stringify(data.preprocessing)) {
      throw new UserError(`${checkpointPath(options.runDir, "last")}: the training data gives other vocabularies or statistics than the data this run started with; resume with the same --data, --valid and --valid-fraction.`, "checkpoint-mismatch");
    }
    if (c.seed !== seed) throw new UserError(`${checkpointPath(options.runDir, "last")}: the run started with seed ${c.seed}, not ${seed}.`, "checkpoint-mismatch");
    state = c.state;
  } else {
    state = initialState(manifest, data.preprocessing, seed);
  }
  const checkpoint = (): Checkpoint => ({ specHash: manifest.spec_hash, seed, preprocessing: data.preprocessing, state });

  const session = await openSession(model.train, { device: options.device, threads: options.threads });
  const evalSession = data.valid ? await openSession(model.eval, { device: options.device, threads: options.threads }) : undefined;

  const perEpoch = batchCount(data.train.rows, settings.batch);
  const totalSteps = perEpoch * settings.epochs;
  const numericCount = numericFields(spec).length;
  const inputs = manifest.graphs.train.inputs;
  const tableOfRows = new Map(manifest.tables.map((t) => [t.rows, t]));
  const fetches = manifest.graphs.train.outputs.filter((o) => !o.name.startsWith("pred/")).map((o) => o.name);
  const nextOf = manifest.graphs.train.outputs.filter((o) => o.role === "next") as (TensorInfo & { of: string })[];
  const rowStateInputs = new Map<string, TensorInfo[]>(manifest.tables.map((t) => [t.rows, inputs.filter((i) => i.role === "state" && i.of === t.rows)]));
  const rowStateOf = new Map<string, { rows: string; index: number }>();
  for (const [rows, list] of rowStateInputs) list.forEach((s, index) => rowStateOf.set(s.name, { rows, index }));
  const baseLr = new Map(inputs.filter((i) => i.role === "lr").map((i) => [i.name, optimizerOf(settings, i.group!).lr]));
  const bar = options.tty ? new ProgressBar(options.tty) : undefined;
  const history: EpochRecord[] = [];

  for (let epoch = state.progress.epoch; epoch < settings.epochs; epoch++) {
    const started = performance.now();
    let trainSeconds = 0;
    const losses: number[] = [];
    const l0s: number[] = [];
    const taskLosses: Record<string, number[]> = Object.fromEntries(spec.tasks.map((t) => [t.name, []]));
    let samples = 0;
    let b = -1;
    for (const batch of batches(spec, data.train, { batchSize: settings.batch, shuffle: true, seed, epoch })) {
      b++;
      if (b < state.progress.batch) continue; // resuming mid-epoch: these batches were trained on
      const stepStarted = performance.now();
      const t = state.progress.step + 1;
      const noise = gateNoise(manifest, seed, t);
      const gathered = new Map<string, { ids: Int32Array; rows: Float32Array; states: Float32Array[] }>();
      for (const table of manifest.tables) {
        const ids = batch.embeddings[table.field]!.unique;
        gathered.set(table.rows, { ids, ...state.store.gather(table.field, ids) });
      }
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of inputs) {
        let tensor: ort.Tensor | undefined;
        switch (input.role) {
          case "param":
            tensor = new ort.Tensor("float32", state.params.get(input.name)!, input.shape as number[]);
            break;
          case "rows": {
            const g = gathered.get(input.name)!;
            tensor = new ort.Tensor("float32", g.rows, [g.ids.length, tableOfRows.get(input.name)!.dim]);
            break;
          }
          case "state": {
            const rowState = rowStateOf.get(input.name);
            if (rowState) {
              const g = gathered.get(rowState.rows)!;
              tensor = new ort.Tensor("float32", g.states[rowState.index]!, [g.ids.length, tableOfRows.get(rowState.rows)!.dim]);
            } else tensor = new ort.Tensor("float32", state.states.get(input.name)!, input.shape as number[]);
            break;
          }
          case "step":
            tensor = new ort.Tensor("float32", Float32Array.of(t), []);
            break;
          case "lr":
            tensor = new ort.Tensor("float32", Float32Array.of(learningRate(baseLr.get(input.name)!, settings, t, totalSteps)), []);
            break;
          case "data":
            tensor = dataInput(input, batch, noise, spec.tasks, numericCount);
            break;
        }
        invariant(tensor !== undefined, `train.onnx input ${input.name} (role ${input.role}) has no feed`);
        feeds[input.name] = tensor;
      }
      const result = await session.run(feeds, fetches);
      const loss = (result["loss"]!.data as Float32Array)[0]!;
      if (!Number.isFinite(loss)) {
        bar?.clear();
        const last = checkpointPath(options.runDir, "last");
        const kept = existsSync(last) ? `the last good checkpoint is ${last}` : "no checkpoint was written yet";
        throw new UserError(
          `training diverged: the loss is ${loss} at step ${t} (epoch ${epoch + 1}); ${kept}. Try a lower learning rate (--lr) or stronger regularization.`,
          "diverged",
        );
      }
      // Outputs are fresh buffers owned by us; they become the next step's inputs.
      const nextRows = new Map<string, { rows?: Float32Array; states: Float32Array[] }>();
      for (const o of nextOf) {
        const value = result[o.name]!.data as Float32Array;
        const rowState = rowStateOf.get(o.of);
        if (state.params.has(o.of)) state.params.set(o.of, value);
        else if (state.states.has(o.of)) state.states.set(o.of, value);
        else if (tableOfRows.has(o.of)) {
          const entry = nextRows.get(o.of) ?? { states: [] };
          entry.rows = value;
          nextRows.set(o.of, entry);
        } else {
          invariant(rowState !== undefined, `train.onnx output ${o.name} updates an unknown input ${o.of}`);
          const entry = nextRows.get(rowState.rows) ?? { states: [] };
          entry.states[rowState.index] = value;
          nextRows.set(rowState.rows, entry);
        }
      }
      for (const table of manifest.tables) {
        const next = nextRows.get(table.rows);
        invariant(next?.rows !== undefined, `train.onnx gave no update for ${table.rows}`);
        state.store.scatter(table.field, gathered.get(table.rows)!.ids, next.rows, next.states);
      }
      losses.push(loss);
      l0s.push((result["l0"]!.data as Float32Array)[0]!);
      for (const task of spec.tasks) taskLosses[task.name]!.push((result[`loss/${task.name}`]!.data as Float32Array)[0]!);
      samples += batch.size;
      state.progress = { epoch, batch: b + 1, step: t };
      trainSeconds += (performance.now() - stepStarted) / 1000;
      bar?.update(`epoch ${epoch + 1}/${settings.epochs}`, b + 1, perEpoch, `loss ${loss.toFixed(4)}  ${Math.round(samples / trainSeconds).toLocaleString("en-US")} samples/s`);
      if (options.stopAtStep !== undefined && t >= options.stopAtStep && b + 1 < perEpoch) {
        bar?.clear();
        writeCheckpoint(checkpointPath(options.runDir, "last"), checkpoint());
        log(`stopped at step ${t} (epoch ${epoch + 1}, batch ${b + 1}/${perEpoch}); continue with --resume`);
        return { status: "stopped", state, history };
      }
    }
    bar?.clear();
    state.progress = { epoch: epoch + 1, batch: 0, step: state.progress.step };

    let valid: Record<string, TaskMetrics> | null = null;
    let improved = true;
    if (data.valid && evalSession) {
      const predictions = await predictDataset(evalSession, manifest, { params: state.params, tables: state.store.tables }, data.valid);
      valid = taskMetrics(spec, predictions, data.valid);
      const score = selectionScore(valid);
      improved = state.best === null || score > state.best.score;
      if (improved) state.best = { score, epoch: epoch + 1, step: state.progress.step };
      state.stale = improved ? 0 : state.stale + 1;
    }
    const record: EpochRecord = {
      epoch: epoch + 1,
      step: state.progress.step,
      loss: mean(losses),
      task_loss: Object.fromEntries(Object.entries(taskLosses).map(([k, v]) => [k, mean(v)])),
      l0: mean(l0s),
      valid,
      train_seconds: trainSeconds,
      seconds: (performance.now() - started) / 1000,
      samples_per_second: samples / trainSeconds,
    };
    history.push(record);
    appendFileSync(metricsPath, JSON.stringify(record) + "\n");
    const bytes = checkpoint();
    writeCheckpoint(checkpointPath(options.runDir, "last"), bytes);
    if (improved) writeCheckpoint(checkpointPath(options.runDir, "best"), bytes);

    log(
      `epoch ${epoch + 1}/${settings.epochs}  step ${record.step}  loss ${record.loss.toFixed(4)}  l0 ${record.l0.toFixed(1)}  ` +
        `${record.seconds.toFixed(1)}s  ${Math.round(record.samples_per_second).toLocaleString("en-US")} samples/s${valid ? (improved ? "  (best)" : "") : ""}`,
    );
    if (valid) for (const line of formatMetricsTable(spec, valid)) log(`  ${line}`);
    if (options.stopAtStep !== undefined && state.progress.step >= options.stopAtStep && epoch + 1 < settings.epochs) {
      log(`stopped at step ${state.progress.step} (end of epoch ${epoch + 1}); continue with --resume`);
      return { status: "stopped", state, history };
    }
    if (valid && settings.patience > 0 && state.stale >= settings.patience) {
      log(`early stop: no validation improvement for ${settings.patience} epoch${settings.patience === 1 ? "" : "s"}; the best was epoch ${state.best!.epoch}`);
      return { status: "early_stop", state, history };
    }
  }
  return { status: "done", state, history };
}

/** The run folder's artifact/ (the compiled graphs and manifest) and preprocessing.json, which evaluation, prediction and export read. */
export function writeRunFiles(runDir: string, model: CompiledModel, preprocessing: Preprocessing): void {
  const artifactDir = join(runDir, "artifact");
  mkdirSync(artifactDir, { recursive: true });
  writeFileAtomic(join(artifactDir, "manifest.json"), JSON.stringify(model.manifest, null, 2) + "\n");
  writeFileAtomic(join(artifactDir, "train.onnx"), model.train);
  writeFileAtomic(join(artifactDir, "eval.onnx"), model.eval);
  writeFileAtomic(join(runDir, "preprocessing.json"), JSON.stringify(preprocessing, null, 2) + "\n");
}

/** The feed of a `data` input of train.onnx: labels, gate noise or the batch's features. */
function dataInput(input: TensorInfo, batch: Batch, noise: Map<string, Float32Array>, tasks: readonly Task[], numericCount: number): ort.Tensor | undefined {
  if (input.name.startsWith("noise/")) {
    const u = noise.get(input.name);
    invariant(u !== undefined, `no gate group feeds ${input.name}`);
    return new ort.Tensor("float32", u, input.shape as number[]);
  }
  if (input.name.startsWith("label/")) {
    const task = tasks.find((t) => `label/${t.name}` === input.name);
    invariant(task !== undefined, `no task for ${input.name}`);
    const y = batch.labels[task.name];
    invariant(y !== undefined, `the batch has no labels for task "${task.name}"`);
    if (task.kind !== "multiclass") return new ort.Tensor("float32", y as Float32Array, [batch.size]);
    // Multiclass labels go in one-hot: [batch, classes].
    const oneHot = new Float32Array(batch.size * task.classes);
    const classes = y as BigInt64Array;
    for (let k = 0; k < batch.size; k++) oneHot[k * task.classes + Number(classes[k]!)] = 1;
    return new ort.Tensor("float32", oneHot, [batch.size, task.classes]);
  }
  return dataFeed(input.name, batch, numericCount);
}
