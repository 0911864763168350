import { existsSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { compileSpec, loadSpec, PER_WEIGHT_NOISE, perWeightNoiseConflicts, sourceLocator, type GateNoise, type Spec } from "../compiler/index.js";
import { readRunManifest } from "../runtime/checkpoint.js";
import { assertTrainable, assertValidatable, formatLoadReport, labelKindWarnings, loadData, loadTrainingData } from "../runtime/data/dataset.js";
import { jsonDifferences } from "../base/json-differences.js";
import { UserError } from "../base/user-error.js";
import { partialLabelTasks } from "../runtime/data/labels.js";
import { resolveSource } from "../runtime/data/source.js";
import { StreamBatches } from "../runtime/data/stream-batches.js";
import { fitStream, type StreamedTrainingData } from "../runtime/data/stream-fit.js";
import { streamReason } from "../runtime/data/stream-size.js";
import { holdsRun, lockRunFolder, mayHoldRun } from "../runtime/run-folder.js";
import { assertDeviceAvailable, type Device } from "../runtime/device.js";
import { train } from "../runtime/train.js";
import { formatText, useColor } from "./report.js";
import { reportUserErrors } from "./user-errors.js";

export interface TrainCommandOptions {
  data: string;
  valid?: string;
  validFraction?: number;
  out: string;
  epochs?: number;
  batch?: number;
  /** Overrides the learning rate of the dense optimizer (`optimizer.lr`); gate and embedding rates keep theirs. */
  lr?: number;
  seed?: number;
  /** Overrides the gate optimizer's learning rate (`gate_optimizer.lr`). */
  gateLr?: number;
  /** Override `regularize.l0`, `regularize.l2`, `gates.init_drop`, `gates.select_offset`. */
  l0?: number;
  /** Override `regularize.l0_fields` and `train.gate_warmup`. */
  l0Fields?: number;
  gateWarmup?: number;
  l2?: number;
  initDrop?: number;
  selectOffset?: number;
  /** Override `gates.noise`. */
  gateNoise?: GateNoise;
  threads: number;
  device: Device;
  skipBadRows: boolean;
  resume: boolean;
  /** Train afresh into a folder that already holds a run, replacing it. */
  force: boolean;
  /** Stop after this many steps in all (the last checkpoint is written; continue with --resume). */
  stopAtStep?: number;
  /** false (`--no-prune-during-training`): never freeze closed gates, whatever the spec says (`train.prune_during_training`). */
  pruneDuringTraining?: boolean;
  /** false (`--no-validate-fields`): no field check on the validation rows, whatever the spec says (`train.validate_fields`). */
  validateFields?: boolean;
  /** The delimiter of delimited text data files; absent: sniffed from each file's header line. */
  delimiter?: string;
  /** Stream the training data from its files each epoch instead of loading it (also chosen when it would not fit: runtime/data/stream-size.ts). */
  stream?: boolean;
}

/** The spec with the command line's training overrides applied; they are part of the run's spec (and its hash). */
export function withOverrides(spec: Spec, o: Pick<TrainCommandOptions, "epochs" | "batch" | "lr" | "seed" | "gateLr" | "l0" | "l0Fields" | "gateWarmup" | "l2" | "initDrop" | "selectOffset" | "gateNoise" | "pruneDuringTraining" | "validateFields">): Spec {
  const out = structuredClone(spec);
  if (o.epochs !== undefined) out.train.epochs = o.epochs;
  if (o.batch !== undefined) out.train.batch = o.batch;
  if (o.seed !== undefined) out.train.seed = o.seed;
  if (o.lr !== undefined) out.train.optimizer.lr = o.lr;
  if (o.gateLr !== undefined) out.train.gate_optimizer.lr = o.gateLr;
  if (o.l0 !== undefined) out.regularize.l0 = o.l0;
  if (o.l0Fields !== undefined) out.regularize.l0_fields = o.l0Fields;
  if (o.gateWarmup !== undefined) out.train.gate_warmup = o.gateWarmup;
  if (o.l2 !== undefined) out.regularize.l2 = o.l2;
  if (o.initDrop !== undefined) out.gates.init_drop = o.initDrop;
  if (o.selectOffset !== undefined) out.gates.select_offset = o.selectOffset;
  if (o.gateNoise !== undefined) out.gates.noise = o.gateNoise;
  // The spec was checked without it: the one setting the command line can make impossible.
  if (o.gateNoise !== undefined && perWeightNoiseConflicts(out).length > 0) throw new UserError(`--gate-noise per_example ${PER_WEIGHT_NOISE}; this model has one.`, "bad-option");
  if (o.pruneDuringTraining === false) out.train.prune_during_training = false;
  if (o.validateFields === false) out.train.validate_fields = false;
  return out;
}

/** `mssmc train SPEC --data FILE --out RUN_DIR`: compiles the spec into RUN_DIR/artifact and trains it. */
export function runTrain(path: string, o: TrainCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    // Before anything is read or written: a run folder must not be left half made for a missing GPU.
    assertDeviceAvailable(o.device);
    const loaded = loadSpec(path);
    if (loaded.diagnostics.length) process.stderr.write(formatText(loaded.diagnostics, loaded.files, useColor(process.stderr)) + "\n");
    if (loaded.library) {
      process.stderr.write(`${path}: error: this file declares no model (only fields and tasks to import); there is nothing to train.\n`);
      return 1;
    }
    if (!loaded.spec) return 1;
    const spec = withOverrides(loaded.spec, o);
    const compileOptions = { locate: sourceLocator(loaded.map, loaded.files), target: o.device };
    const artifact = compileSpec(spec, compileOptions);
    if (o.valid !== undefined && o.validFraction !== undefined) throw new UserError("give either --valid FILE or --valid-fraction F, not both.", "bad-option");
    if (o.resume && o.force) throw new UserError("give either --resume (continue the run) or --force (replace it), not both.", "bad-option");
    if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UserError(`--out ${o.out} is a file, not a folder: --out names the run folder to write; choose another path.`, "bad-option");
    if (o.resume && !existsSync(o.out)) throw new UserError(`--resume: ${o.out} holds no run to resume (no such folder).`, "missing-checkpoint");
    if (o.resume && !mayHoldRun(o.out)) throw new UserError(`--resume: ${o.out} holds no run to resume (no artifact/, checkpoints/ or train.lock, but other files); give the folder of a run, or train a new one into an empty or new --out.`, "missing-checkpoint");
    // From here on this process alone writes in the folder; the lock goes when the command ends.
    const made = !existsSync(o.out);
    const unlock = lockRunFolder(o.out);
    try {
      let resume = o.resume;
      if (resume && !holdsRun(o.out)) {
        // Killed before its first epoch was committed: nothing to continue, so the run starts again, as it would have gone.
        process.stderr.write(`${o.out}: no epoch was committed yet (no checkpoints/last.ckpt); training from the beginning\n`);
        resume = false;
      } else if (resume) {
        const trained = readRunManifest(o.out);
        if (trained.spec_hash !== artifact.manifest.spec_hash) {
          const differ = jsonDifferences(trained.spec, artifact.manifest.spec);
          const where = differ.length ? ` It differs at ${differ.map((d) => `${d.pointer} (${d.was} in the run, ${d.now} now)`).join(", ")}.` : "";
          throw new UserError(`--resume: the run in ${o.out} was trained from another spec or other settings (${trained.spec_hash}); this spec and options give ${artifact.manifest.spec_hash}.${where}`, "checkpoint-mismatch");
        }
      } else if (holdsRun(o.out) && !o.force) {
        throw new UserError(`${o.out} already holds a trained run; continue it with --resume, replace it with --force, or choose another --out.`, "run-exists");
      }
      // Tasks with missing labels in the training data take row weights: compiled again with them.
      const compile = (partialLabels: string[]) => (partialLabels.length === 0 ? artifact : compileSpec(spec, { ...compileOptions, partialLabels }));
      return await trainLocked(spec, compile, { ...o, resume });
    } finally {
      unlock();
      // A run that failed before writing anything (unreadable data) leaves no folder it made.
      if (made) removeIfEmpty(o.out);
    }
  });
}

/** Removes `dir` when it is empty; anything in it (a run, another's file) keeps it. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty, or already gone.
  }
}

/**
 * Whether training streams its data: with --stream, or when loading it would not fit
 * (runtime/data/stream-size.ts) and no --valid-fraction asks for a split of the loaded rows.
 */
async function streamChoice(spec: Spec, o: TrainCommandOptions): Promise<boolean> {
  if (o.stream) {
    if (o.validFraction !== undefined) throw new UserError("--stream reads the training file as it trains and cannot hold out --valid-fraction of it; give validation rows with --valid FILE.", "bad-option");
    process.stderr.write(`streaming ${o.data} (--stream): vocabularies and statistics from one pass, then each epoch reads the file again in a shuffled order\n`);
    return true;
  }
  if (o.validFraction !== undefined) return false;
  const reason = await streamReason(spec, await resolveSource(o.data));
  if (reason) process.stderr.write(`streaming ${o.data}: ${reason} (docs/design.md, "Data")\n`);
  return reason !== undefined;
}

/** The data loading and training of `mssmc train`, once the run folder is locked and the mode (fresh or resumed) decided. */
async function trainLocked(spec: Spec, compile: (partialLabels: string[]) => ReturnType<typeof compileSpec>, o: TrainCommandOptions): Promise<number> {
  const skipBadRows = o.skipBadRows;
  const delimiter = o.delimiter !== undefined ? { delimiter: o.delimiter } : {};
  const stream = await streamChoice(spec, o);
  const loadedData = stream ? await fitStream(spec, o.data, { skipBadRows, ...delimiter }) : await loadTrainingData(spec, o.data, { validFraction: o.validFraction ?? 0, seed: spec.train.seed, skipBadRows, ...delimiter });
  for (const line of formatLoadReport(loadedData.report)) process.stderr.write(line + "\n");
  for (const line of labelKindWarnings(spec, loadedData)) process.stderr.write(line + "\n");
  assertTrainable(spec, loadedData);
  const artifact = compile(partialLabelTasks(loadedData.train.labels));
  let valid = loadedData.valid;
  let validLabels = loadedData.labelValues;
  if (o.valid !== undefined) {
    const v = await loadData(spec, o.valid, loadedData.preprocessing, { skipBadRows, ...delimiter });
    for (const line of formatLoadReport(v.report)) process.stderr.write(line + "\n");
    valid = v.data;
    validLabels = v.labelValues;
  }
  if (valid) assertValidatable(spec, valid, validLabels);
  if (!valid) process.stderr.write("no validation data (--valid or --valid-fraction): no early stopping, the last epoch is the best\n");
  else if (o.validFraction !== undefined) process.stderr.write(`validation: ${valid.rows} rows held out at random (seed ${spec.train.seed}), training on ${loadedData.train.rows}\n`);

  const result = await train(
    { manifest: artifact.manifest, train: artifact.files["train.onnx"], eval: artifact.files["eval.onnx"] },
    {
      train: loadedData.train,
      valid,
      preprocessing: loadedData.preprocessing,
      ...(stream ? { stream: new StreamBatches(spec, (loadedData as StreamedTrainingData).source, loadedData.preprocessing, { skipBadRows, ...delimiter, worker: true }) } : {}),
    },
    {
      runDir: o.out,
      device: o.device,
      threads: o.threads,
      resume: o.resume,
      ...(o.stopAtStep !== undefined ? { stopAtStep: o.stopAtStep } : {}),
      ...(process.stderr.isTTY ? { tty: process.stderr } : {}),
    },
  );
  if (result.status !== "stopped") {
    const best = result.state.best;
    process.stdout.write(`trained ${spec.model}: ${result.state.progress.step} steps; ${best ? `best epoch ${best.epoch} (validation score ${best.score.toFixed(4)})` : "no validation"}; checkpoints in ${join(o.out, "checkpoints")}\n`);
  }
  return 0;
}
