// The training loop: feeds train.onnx one batch at a time exactly as the manifest lists its
// inputs, keeps every parameter, optimizer state and embedding table in the runtime's own
// Float32Arrays, evaluates on validation data after each epoch with eval.onnx, logs metrics,
// stops early, and checkpoints so that a run can resume bit for bit.
//
// Determinism: the batch order of epoch e comes from Random.stream(seed, STREAM.shuffle, e), the gate noise
// of step t from Random.stream(seed, STREAM.gateNoise, t), initial weights from streams derived by name, and
// onnxruntime runs with a fixed number of intra-op threads. ORT's CPU kernels split work into
// fixed per-thread ranges and sum in a fixed order, so with the same thread count a run repeats
// bit for bit (test/runtime/train.test.ts; measured on the MSSM zoo model on Adult with 2 threads
// twice: byte-identical checkpoints, and here also identical to 1 thread). A different thread count
// may in general change the last bits of reductions split across threads, so record `--threads`
// with a run you mean to reproduce.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { freezeSettings, gateWarmupEpochs, initialTensor, rowWeightedTasks, validationModel, type Manifest } from "../compiler/index.js";
import { invariant } from "../base/source/diagnostic.js";
import { partialLabelTasks, regressionLabelMeans } from "./data/labels.js";
import { writeFileAtomic } from "../base/atomic-write.js";
import { checkpointPath, readCheckpoint, writeCheckpoint, writeCheckpoints, type Checkpoint, type EpochSums, type TrainState } from "./checkpoint.js";
import { batchCount, batches } from "./data/batches.js";
import type { Dataset, Preprocessing } from "./data/dataset.js";
import type { StreamBatches } from "./data/stream-batches.js";
import { EmbeddingStore } from "./embeddings/store.js";
import { UserError } from "../base/user-error.js";
import { describeMonitor, formatMetricsTable, predictDataset, selectionScore, taskMetrics, type TaskMetrics } from "./evaluate.js";
import { ProgressBar } from "./progress.js";
import { appendMetricsLine, metricsPath, reconcileMetrics, removeAbandonedFiles, removeCheckpoints } from "./run-folder.js";
import { openSession, type Device } from "./session.js";
import { StepRunner } from "./step.js";
import { freezeClosedGates, frozenCount, warmupHeld } from "./freeze.js";
import { checkFields, checksFields, fieldCheckLines } from "./field-check.js";
import { StepSwitch } from "./step-switch.js";
import { makeDirs } from "../base/make-dirs.js";

export { gateNoise, learningRate, NOISE_EPS } from "./step.js";

/** The compiled graphs and their manifest. */
export interface CompiledModel {
  manifest: Manifest;
  train: Uint8Array;
  eval: Uint8Array;
}

/** The data of a run: training rows, optional validation rows, and the preprocessing fitted on the training rows. */
export interface RunData {
  /** With `stream`, the training rows' labels and weights only (runtime/data/stream-fit.ts). */
  train: Dataset;
  /** Streamed training: each epoch's batches come from here rather than from `train` (runtime/data/stream-batches.ts). */
  stream?: StreamBatches;
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
  /**
   * Gate elements frozen closed at the epoch's end (runtime/freeze.ts, with those the field check
   * closed), and the multiply-adds per example of the steps the epoch ran (their mean over its
   * examples, rounded, when it moved to a smaller step within the epoch).
   */
  gates_frozen: number;
  macs_per_example: number;
}

export interface TrainResult {
  /** done: every epoch ran; early_stop: patience ran out; stopped: stopAtStep was reached. */
  status: "done" | "early_stop" | "stopped";
  state: TrainState;
  history: EpochRecord[];
}

/**
 * A fresh training state: parameters from the manifest's initialisers (a `label_mean` one from
 * `labelMeans`, by task: runtime/data/labels.ts, regressionLabelMeans), optimizer states at their
 * init values, new embedding tables.
 */
export function initialState(manifest: Manifest, preprocessing: Preprocessing, seed: number, labelMeans?: ReadonlyMap<string, number>): TrainState {
  const params = new Map<string, Float32Array>();
  for (const p of manifest.params) {
    params.set(p.name, Float32Array.from(initialTensor(p, seed, labelMeans)));
  }
  const states = new Map<string, Float32Array>();
  for (const input of manifest.graphs.train.inputs) {
    if (input.role !== "state") continue;
    if (input.members) {
      // A packed state input: one buffer, each param's state a view of it (runtime/step.ts feeds it whole).
      const packed = new Float32Array(input.members.reduce((a, m) => a + m.size, 0));
      if (input.init) packed.fill(input.init);
      let offset = 0;
      for (const m of input.members) {
        states.set(m.name, packed.subarray(offset, offset + m.size));
        offset += m.size;
      }
      continue;
    }
    if (!params.has(input.of ?? "")) continue;
    const s = new Float32Array(params.get(input.of!)!.length);
    if (input.init) s.fill(input.init);
    states.set(input.name, s);
  }
  return { params, states, store: EmbeddingStore.initial(manifest, preprocessing, seed), progress: { epoch: 0, batch: 0, step: 0 }, best: null, stale: 0, frozen: new Map(), stepFrozen: new Map() };
}

const mean = (sum: number, count: number): number => (count ? sum / count : NaN);

/** An epoch's running sums, before its first step. */
const emptySums = (tasks: readonly string[]): EpochSums => ({ steps: 0, loss: 0, l0: 0, task_loss: Object.fromEntries(tasks.map((t) => [t, 0])), samples: 0, macs: 0, train_seconds: 0 });

/** Trains a compiled model on `data`, from scratch or (with `resume`) from the run's last checkpoint. */
export async function train(model: CompiledModel, data: RunData, options: TrainOptions): Promise<TrainResult> {
  const { manifest } = model;
  const spec = manifest.spec;
  const settings = spec.train;
  const seed = settings.seed;
  const log = options.log ?? ((line: string) => process.stdout.write(line + "\n"));
  const weighted = new Set(rowWeightedTasks(manifest.graphs.train.inputs));
  const unmasked = partialLabelTasks(data.train.labels).filter((t) => !weighted.has(t));
  invariant(unmasked.length === 0, `the training data lacks labels of ${unmasked.join(", ")}, but train.onnx takes no row weights for them; compile with partialLabels`);
  makeDirs(join(options.runDir, "checkpoints"));
  removeAbandonedFiles(options.runDir);
  if (!options.resume) {
    removeCheckpoints(options.runDir);
    writeRunFiles(options.runDir, model, data.preprocessing);
  }

  let state: TrainState;
  if (options.resume) {
    const c = readCheckpoint(checkpointPath(options.runDir, "last"), manifest);
    const rehashed = Object.entries(c.preprocessing.fields).find(([name, f]) => {
      const now = data.preprocessing.fields[name];
      return f.kind !== "numeric" && f.vocab.kind === "hash" && now?.kind === f.kind && now.vocab.kind === "hash" && now.vocab.hash !== f.vocab.hash;
    });
    if (rehashed) {
      throw new UserError(`${checkpointPath(options.runDir, "last")}: this run hashed field "${rehashed[0]}" with ${(rehashed[1] as { vocab: { hash: string } }).vocab.hash}, and this mssmc hashes new data with murmur3-32-utf8 (which exported models can compute); a run cannot change its hash, so start a new run.`, "checkpoint-mismatch");
    }
    if (JSON.stringify(c.preprocessing) !== JSON.stringify(data.preprocessing)) {
      throw new UserError(`${checkpointPath(options.runDir, "last")}: the training data gives other vocabularies or statistics than the data this run started with; resume with the same --data, --valid and --valid-fraction.`, "checkpoint-mismatch");
    }
    if (c.seed !== seed) throw new UserError(`${checkpointPath(options.runDir, "last")}: the run started with seed ${c.seed}, not ${seed}.`, "checkpoint-mismatch");
    // Streamed and in-memory training visit the rows in different orders (docs/design.md, "Data").
    if ((c.streamed ?? false) !== (data.stream !== undefined)) {
      const how = (streamed: boolean) => (streamed ? "streamed (--stream)" : "loaded in memory");
      throw new UserError(`${checkpointPath(options.runDir, "last")}: the run started with its training data ${how(c.streamed ?? false)} and this resume has it ${how(data.stream !== undefined)}; the epoch order would differ, so resume it the way it started.`, "checkpoint-mismatch");
    }
    state = c.state;
    if (options.stopAtStep !== undefined && options.stopAtStep <= state.progress.step) {
      throw new UserError(`${checkpointPath(options.runDir, "last")}: the run is at step ${state.progress.step} already, so it cannot stop at step ${options.stopAtStep}; give --stop-at-step a later step, or resume without it.`, "invalid-setting");
    }
    reconcileMetrics(options.runDir, state.progress.epoch);
  } else {
    state = initialState(manifest, data.preprocessing, seed, regressionLabelMeans(spec.tasks, data.train.labels, data.train.weights));
  }
  const checkpoint = (): Checkpoint => ({ specHash: manifest.spec_hash, seed, ...(data.stream ? { streamed: true } : {}), preprocessing: data.preprocessing, state });

  const session = await openSession(model.train, { device: options.device, threads: options.threads });
  // Validation and the field check run the eval graph with the field copies folded when that is smaller (compiler validationModel).
  const validation = data.valid ? (validationModel(spec, { opset: manifest.opset, target: options.device }) ?? model.eval) : undefined;
  const evalSession = validation ? await openSession(validation, { device: options.device, threads: options.threads }) : undefined;

  const perEpoch = batchCount(data.train.rows, settings.batch);
  const totalSteps = perEpoch * settings.epochs;
  const freezing = freezeSettings(spec, manifest.gate_groups.length > 0);
  // Gate warm-up (compiler/sparse-step/settings.ts): the gates hold still for its epochs, which
  // neither count for the best checkpoint nor for early stopping.
  const warmup = gateWarmupEpochs(spec, manifest.gate_groups.length > 0);
  if (warmup < 0 || warmup >= settings.epochs) {
    throw new UserError(`gate_warmup (${warmup}) must be 0 or more and below the epochs (${settings.epochs}): the gates would never train. Lower train.gate_warmup or raise the epochs.`, "invalid-setting");
  }
  if (warmup > 0 && state.progress.epoch === 0 && state.progress.batch === 0) log(`gate warm-up: the gates hold still for ${warmup} of ${settings.epochs} epochs; the best epoch is chosen after it`);
  const holdSteps = warmup * perEpoch;
  // The step follows the frozen set (runtime/step-switch.ts): on resume, the one the run was on (state.stepFrozen).
  const steps = new StepSwitch(
    manifest,
    new StepRunner(manifest, session, totalSteps, holdSteps),
    options.device,
    (bytes) => openSession(bytes, { device: options.device, threads: options.threads }),
    totalSteps,
    holdSteps,
  );
  await steps.resume(state);
  // At each freeze point the step is chosen again, changed set or not: the choice depends on the steps left (step-switch.ts).
  // Not in the groups the warm-up holds still: their log α has not trained (runtime/freeze.ts).
  const held = warmupHeld(manifest).groups;
  const freeze = async () => {
    if (!freezing.on) return;
    freezeClosedGates(manifest, state, freezing.threshold, state.progress.step <= holdSteps ? held : undefined);
    await steps.follow(state);
  };
  const fieldCheck = checksFields(spec, data.valid !== undefined) && evalSession !== undefined;
  let checkCostShown = false;
  if (fieldCheck) log(`field check: from the end of epoch ${Math.max(warmup, 1)} on, a field that neither closing in a group nor shuffling makes worse on the validation rows for the tasks that group serves, at two checks in a row, is closed in that group (train.validate_fields)`);
  if (data.valid) log(describeMonitor(spec));
  const bar = options.tty ? new ProgressBar(options.tty) : undefined;
  const history: EpochRecord[] = [];

  for (let epoch = state.progress.epoch; epoch < settings.epochs; epoch++) {
    const started = performance.now();
    // The epoch's running sums; a run stopped mid-epoch keeps them in its checkpoint, so the
    // resumed epoch's record is the uninterrupted one's (up to its timings).
    const sums: EpochSums = epoch === state.progress.epoch && state.progress.batch > 0 && state.epochSums ? state.epochSums : emptySums(spec.tasks.map((t) => t.name));
    delete state.epochSums;
    let b = -1;
    const epochBatches = data.stream ? data.stream.epoch(settings.batch, seed, epoch) : batches(spec, data.train, { batchSize: settings.batch, shuffle: true, seed, epoch });
    for await (const batch of epochBatches) {
      b++;
      if (b < state.progress.batch) continue; // resuming mid-epoch: these batches were trained on
      const stepStarted = performance.now();
      const t = state.progress.step + 1;
      const macsOfStep = steps.current.macsPerExample;
      const result = await steps.current.runner.run(state, batch, t);
      const loss = result.loss;
      if (!Number.isFinite(loss)) {
        bar?.clear();
        const last = checkpointPath(options.runDir, "last");
        const kept = existsSync(last) ? `the last good checkpoint is ${last}` : "no checkpoint was written yet";
        throw new UserError(
          `training diverged: the loss is ${loss} at step ${t} (epoch ${epoch + 1}); ${kept}. Try a lower learning rate (--lr) or stronger regularization.`,
          "diverged",
        );
      }
      sums.steps++;
      sums.loss += loss;
      sums.l0 += result.l0;
      for (const task of spec.tasks) sums.task_loss[task.name] = sums.task_loss[task.name]! + result.taskLoss[task.name]!;
      sums.samples += batch.size;
      sums.macs += macsOfStep * batch.size;
      state.progress = { epoch, batch: b + 1, step: t };
      // At the epoch's last batch the epoch's end freezes (after the field check), once.
      if (freezing.every !== undefined && t % freezing.every === 0 && b + 1 < perEpoch) await freeze();
      sums.train_seconds += (performance.now() - stepStarted) / 1000;
      bar?.update(`epoch ${epoch + 1}/${settings.epochs}`, b + 1, perEpoch, `loss ${loss.toFixed(4)}  ${Math.round(sums.samples / sums.train_seconds).toLocaleString("en-US")} samples/s`);
      if (options.stopAtStep !== undefined && t >= options.stopAtStep && b + 1 < perEpoch) {
        bar?.clear();
        steps.settle(state);
        state.epochSums = sums;
        writeCheckpoint(checkpointPath(options.runDir, "last"), checkpoint());
        log(`stopped at step ${t} (epoch ${epoch + 1}, batch ${b + 1}/${perEpoch}); continue with --resume`);
        return { status: "stopped", state, history };
      }
    }
    bar?.clear();
    // A sliced step's values back into the whole params before the field check and validation read them.
    steps.settle(state);
    if (fieldCheck && epoch + 1 >= Math.max(warmup, 1)) {
      const started = performance.now();
      const check = await checkFields(evalSession!, manifest, state, data.valid!);
      // What a check costs, once a run: it grows with the open field gates (docs/design.md, "Field selection on held-out rows").
      if (!checkCostShown) log(`field check: ${check.tried} open field gates, ${check.passes} evaluation passes over ${check.rows.toLocaleString("en-US")} validation rows, ${((performance.now() - started) / 1000).toFixed(2)} s (at each epoch end from here on; train.validate_fields: false turns it off)`);
      checkCostShown = true;
      for (const line of fieldCheckLines(check, spec, state.params)) log(line);
    }
    await freeze();
    state.progress = { epoch: epoch + 1, batch: 0, step: state.progress.step };

    let valid: Record<string, TaskMetrics> | null = null;
    let improved = true;
    if (data.valid && evalSession) {
      const predictions = await predictDataset(evalSession, manifest, { params: state.params, tables: state.store }, data.valid);
      valid = taskMetrics(spec, predictions, data.valid);
      const score = selectionScore(valid, spec.train.monitor);
      if (Number.isNaN(score)) throw undefinedScore(valid, epoch + 1);
      const warming = epoch + 1 <= warmup;
      improved = !warming && (state.best === null || score > state.best.score);
      if (improved) state.best = { score, epoch: epoch + 1, step: state.progress.step };
      state.stale = improved || warming ? 0 : state.stale + 1;
    }
    const record: EpochRecord = {
      epoch: epoch + 1,
      step: state.progress.step,
      loss: mean(sums.loss, sums.steps),
      task_loss: Object.fromEntries(Object.entries(sums.task_loss).map(([k, v]) => [k, mean(v, sums.steps)])),
      l0: mean(sums.l0, sums.steps),
      valid,
      train_seconds: sums.train_seconds,
      seconds: (performance.now() - started) / 1000,
      samples_per_second: sums.samples / sums.train_seconds,
      gates_frozen: frozenCount(state.frozen),
      macs_per_example: Math.round(mean(sums.macs, sums.samples)),
    };
    history.push(record);
    // The epoch's commit point is last.ckpt's rename (runtime/run-folder.ts): what comes before it
    // is redone identically if the process dies first.
    appendMetricsLine(options.runDir, JSON.stringify(record));
    writeCheckpoints([...(improved ? [checkpointPath(options.runDir, "best")] : []), checkpointPath(options.runDir, "last")], checkpoint());

    log(
      `epoch ${epoch + 1}/${settings.epochs}  step ${record.step}  loss ${record.loss.toFixed(4)}  l0 ${record.l0.toFixed(1)}  ` +
        `${record.seconds.toFixed(1)}s  ${Math.round(record.samples_per_second).toLocaleString("en-US")} samples/s  ${record.macs_per_example.toLocaleString("en-US")} MACs/example` +
        `${freezing.on ? `  ${record.gates_frozen} gates frozen` : ""}${epoch + 1 <= warmup ? "  (gate warm-up)" : valid && improved ? "  (best)" : ""}`,
    );
    if (valid) for (const line of formatMetricsTable(spec, valid, data.valid!.rows)) log(`  ${line}`);
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

/** The run folder's artifact/ (the compiled graphs and manifest), preprocessing.json, which evaluation, prediction and export read, and an empty metrics.jsonl. */
export function writeRunFiles(runDir: string, model: CompiledModel, preprocessing: Preprocessing): void {
  const artifactDir = join(runDir, "artifact");
  makeDirs(artifactDir);
  writeFileAtomic(join(artifactDir, "manifest.json"), JSON.stringify(model.manifest, null, 2) + "\n");
  writeFileAtomic(join(artifactDir, "train.onnx"), model.train);
  writeFileAtomic(join(artifactDir, "eval.onnx"), model.eval);
  writeFileAtomic(join(runDir, "preprocessing.json"), JSON.stringify(preprocessing, null, 2) + "\n");
  writeFileAtomic(metricsPath(runDir), "");
}

/** The error for a validation score that is not a number: which task's metric is undefined, and why it usually is. */
function undefinedScore(valid: Record<string, TaskMetrics>, epoch: number): UserError {
  const tasks = Object.entries(valid)
    .filter(([, m]) => Object.values(m).some((x) => Number.isNaN(x)))
    .map(([name, m]) => `task "${name}" (${Object.entries(m).map(([k, x]) => `${k} ${x}`).join(", ")})`);
  return new UserError(
    `the validation score of epoch ${epoch} is not a number: ${tasks.join("; ")}. AUC needs both classes among the validation rows of a binary task; ` +
      `check the task's positive values against its label column, or validate on more rows (--valid, --valid-fraction). No epoch was chosen as the best.`,
    "undefined-validation-score",
  );
}
