// Checkpoints: everything a run needs to continue bit for bit, in one file.
//
// Layout (little-endian):
//   8 bytes  magic "MSSMCKP1"
//   4 bytes  uint32, length H of the header
//   H bytes  header, UTF-8 JSON: format, spec_hash, seed, progress, best, rng, preprocessing,
//            the list of tensors (name, kind, shape) in block order, the gates frozen closed
//            (`frozen`, by gate group; absent when none is, as in files older than freezing),
//            the frozen set the running training step was cut for (`step_frozen`, likewise;
//            absent: the full step),
//            `streamed: true` for a run that streams its data (absent otherwise), the field
//            check's suspects (`field_suspects`, absent when there are none), the current
//            epoch's running sums (`epoch_sums`, only in a checkpoint taken part-way through an
//            epoch), `sha256`
//   blocks   each tensor's float32 values, raw, in the header's order
// `sha256` is the hex SHA-256 of the header JSON written without it followed by every block, so
// a flipped bit anywhere is caught; the header's structure is checked before it is used, so a
// crafted file with a matching hash is refused too. Files are written through a temporary file and
// a rename (base/atomic-write.ts): a crash mid-write leaves the previous checkpoint intact; a
// symbolic link at a checkpoint's path is replaced, never written through. How best.ckpt and
// last.ckpt are ordered within an epoch is runtime/run-folder.ts's.
//
// The random streams need no saved state: gate noise of step t is drawn from
// Random.stream(seed, STREAM.gateNoise, t) and the order of epoch e from Random.stream(seed, STREAM.shuffle, e), so
// (seed, epoch, step) is the whole RNG state.
// (The header names these streams "Rng(...)", the generator's name when the format was fixed.)

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { endianness } from "node:os";
import { join } from "node:path";
import { type Manifest } from "../compiler/index.js";
import { writeFileAtomic } from "../base/atomic-write.js";
import { invariant } from "../base/source/diagnostic.js";
import type { Preprocessing } from "./data/dataset.js";
import { STREAM } from "../base/random.js";
import { EmbeddingStore, packTable, tableRows, unpackTable, type TableColumns } from "./embeddings/store.js";
import { UserError } from "../base/user-error.js";
import type { TrainedModel } from "./trained-model.js";

const MAGIC = "MSSMCKP1";
/** Version of the checkpoint header. */
export const CHECKPOINT_FORMAT = 1;

/** Where a run stands: `epoch` is the current epoch (0-based), `batch` the batches done in it, `step` the steps done in all. */
export interface Progress {
  epoch: number;
  batch: number;
  step: number;
}

/** The best validation result so far. */
export interface Best {
  score: number;
  epoch: number;
  step: number;
}

/**
 * The running sums of an epoch stopped part-way (`--stop-at-step`), so that the resumed epoch's
 * record (runtime/train.ts) is the uninterrupted run's: its steps, the sums of their total, task
 * and L0 losses, its examples, its multiply-adds (each step's per example times its examples) and
 * the seconds of its steps.
 */
export interface EpochSums {
  steps: number;
  loss: number;
  l0: number;
  task_loss: Record<string, number>;
  samples: number;
  macs: number;
  train_seconds: number;
}

/** The mutable state of a training run. */
export interface TrainState {
  /** Dense and gate parameters by name. */
  params: Map<string, Float32Array>;
  /** Optimizer state of the dense and gate parameters, by train.onnx input name. */
  states: Map<string, Float32Array>;
  store: EmbeddingStore;
  progress: Progress;
  best: Best | null;
  /** Epochs in a row without a better validation score (for patience). */
  stale: number;
  /** Gate elements frozen closed (runtime/freeze.ts), by gate group; a group with none is absent. */
  frozen: Map<string, Uint8Array>;
  /**
   * The frozen set the running training step was cut for (runtime/step-switch.ts), a part of
   * `frozen`; empty: the full step. A resumed run goes on with that step.
   */
  stepFrozen: Map<string, Uint8Array>;
  /**
   * Fields whose closing did not raise the validation loss at the last field check
   * (runtime/field-check.ts): one more such check closes them. Absent: none.
   */
  fieldSuspects?: string[];
  /** The current epoch's sums, in a checkpoint written part-way through it; absent otherwise. */
  epochSums?: EpochSums;
}

/** A checkpoint in memory. */
export interface Checkpoint {
  specHash: string;
  seed: number;
  /** The run reads its training data streamed (`--stream`), whose epoch order differs from the in-memory one. */
  streamed?: boolean;
  preprocessing: Preprocessing;
  state: TrainState;
}

interface TensorEntry {
  name: string;
  kind: "param" | "state" | "table" | "table_state";
  shape: number[];
  /** table and table_state: the field; table_state: the state kind. */
  field?: string;
  state?: string;
}

interface Header {
  format: number;
  spec_hash: string;
  seed: number;
  progress: Progress;
  best: Best | null;
  stale: number;
  rng: { gate_noise: string; shuffle: string };
  preprocessing: Preprocessing;
  tensors: TensorEntry[];
  /** The frozen gate elements' indices by gate group; written only when some are (older checkpoints: none). */
  frozen?: Record<string, number[]>;
  /** The running step's frozen set, likewise; written only when the step is a cut one (older checkpoints: the full step). */
  step_frozen?: Record<string, number[]>;
  /** true when the run streams its training data; written only then (older checkpoints: in memory). */
  streamed?: boolean;
  /** The field check's suspects (TrainState.fieldSuspects); written only when there are some. */
  field_suspects?: string[];
  /** TrainState.epochSums; written only in a checkpoint taken part-way through an epoch. */
  epoch_sums?: EpochSums;
  sha256?: string;
}

/** The checkpoint file of a run: `best` or `last`. */
export function checkpointPath(runDir: string, which: "best" | "last"): string {
  return join(runDir, "checkpoints", `${which}.ckpt`);
}

/** Serializes a checkpoint into one buffer. */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  invariant(endianness() === "LE", "checkpoints are written as little-endian float32; this machine is big-endian");
  const tensors: TensorEntry[] = [];
  const blocks: Float32Array[] = [];
  for (const [name, v] of c.state.params) {
    tensors.push({ name, kind: "param", shape: [v.length] });
    blocks.push(v);
  }
  for (const [name, v] of c.state.states) {
    tensors.push({ name, kind: "state", shape: [v.length] });
    blocks.push(v);
  }
  // The store interleaves each row's values and state in one slab; the file keeps one block each.
  for (const t of [...c.state.store.tables.values()].map(unpackTable)) {
    tensors.push({ name: `emb/${t.field}`, kind: "table", field: t.field, shape: [t.rows, t.dim] });
    blocks.push(t.values);
    for (const [kind, v] of t.states) {
      tensors.push({ name: `emb/${t.field}/${kind}`, kind: "table_state", field: t.field, state: kind, shape: [t.rows, t.dim] });
      blocks.push(v);
    }
  }
  const header: Header = {
    format: CHECKPOINT_FORMAT,
    spec_hash: c.specHash,
    seed: c.seed,
    progress: c.state.progress,
    best: c.state.best,
    stale: c.state.stale,
    rng: { gate_noise: `Rng(seed, ${STREAM.gateNoise}, step)`, shuffle: `Rng(seed, ${STREAM.shuffle}, epoch)` },
    preprocessing: c.preprocessing,
    tensors,
  };
  if (c.streamed) header.streamed = true;
  const indices = (masks: Map<string, Uint8Array>) => Object.fromEntries([...masks].map(([g, mask]) => [g, [...mask.keys()].filter((i) => mask[i])]));
  if (c.state.frozen.size) header.frozen = indices(c.state.frozen);
  if (c.state.stepFrozen.size) header.step_frozen = indices(c.state.stepFrozen);
  if (c.state.fieldSuspects?.length) header.field_suspects = c.state.fieldSuspects;
  if (c.state.epochSums) header.epoch_sums = c.state.epochSums;
  const core = Buffer.from(JSON.stringify(header), "utf8");
  const blockBytes = blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const hash = createHash("sha256").update(core);
  for (const b of blockBytes) hash.update(b);
  header.sha256 = hash.digest("hex");
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(headerBytes.length, 8);
  return Buffer.concat([prefix, headerBytes, ...blockBytes]);
}

/** Writes a checkpoint atomically, replacing a symbolic link at `path` rather than following it. */
export function writeCheckpoint(path: string, c: Checkpoint): void {
  writeCheckpoints([path], c);
}

/**
 * Writes one checkpoint to each path in turn (best.ckpt, then last.ckpt: the order is
 * runtime/run-folder.ts's), each as writeCheckpoint does; it is encoded once, so the files hold
 * the same bytes.
 */
export function writeCheckpoints(paths: readonly string[], c: Checkpoint): void {
  const bytes = encodeCheckpoint(c);
  for (const path of paths) writeFileAtomic(path, bytes, { followLink: false });
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** What is wrong with a parsed header's structure, or undefined when every field the reader uses has its type. */
function headerProblem(h: unknown): string | undefined {
  if (!isRecord(h)) return "its header is not a JSON object";
  if (typeof h["spec_hash"] !== "string" || typeof h["seed"] !== "number" || !isCount(h["stale"])) return "its header lacks spec_hash, seed or stale";
  const p = h["progress"];
  if (!isRecord(p) || !isCount(p["epoch"]) || !isCount(p["batch"]) || !isCount(p["step"])) return "its progress is not three counts";
  const b = h["best"];
  if (b !== null && (!isRecord(b) || typeof b["score"] !== "number" || !isCount(b["epoch"]) || !isCount(b["step"]))) return "its best result is malformed";
  if (!isRecord(h["preprocessing"]) || !isRecord(h["preprocessing"]["fields"])) return "its preprocessing is malformed";
  if (!Array.isArray(h["tensors"])) return "its list of tensors is missing";
  const masks = (f: unknown) => f === undefined || (isRecord(f) && Object.values(f).every((ix) => Array.isArray(ix) && ix.every(isCount)));
  if (!masks(h["frozen"])) return "its frozen gates are malformed";
  if (!masks(h["step_frozen"])) return "its running step's frozen gates are malformed";
  if (h["streamed"] !== undefined && h["streamed"] !== true) return "its streamed flag is malformed";
  const suspects = h["field_suspects"];
  if (suspects !== undefined && !(Array.isArray(suspects) && suspects.every((f) => typeof f === "string"))) return "its field check's suspects are malformed";
  const sums = h["epoch_sums"];
  const isNumber = (x: unknown) => typeof x === "number";
  if (sums !== undefined && !(isRecord(sums) && isCount(sums["steps"]) && isCount(sums["samples"]) && ["loss", "l0", "macs", "train_seconds"].every((k) => isNumber(sums[k])) && isRecord(sums["task_loss"]) && Object.values(sums["task_loss"]).every(isNumber))) {
    return "its epoch's running sums are malformed";
  }
  const tables = new Set<string>();
  for (const t of h["tensors"] as unknown[]) {
    if (!isRecord(t) || typeof t["name"] !== "string" || !Array.isArray(t["shape"]) || !t["shape"].every(isCount)) return "a tensor entry is malformed";
    const rank = (t["shape"] as number[]).length;
    const kind = t["kind"];
    if ((kind === "param" || kind === "state") && rank === 1) continue;
    if (kind === "table" && rank === 2 && typeof t["field"] === "string") tables.add(t["field"]);
    else if (!(kind === "table_state" && rank === 2 && typeof t["state"] === "string" && tables.has(t["field"] as string))) return `tensor "${t["name"]}" has an unknown kind or shape`;
  }
  return undefined;
}

/** Parses and verifies a checkpoint buffer; `file` names it in messages. */
export function decodeCheckpoint(bytes: Buffer, file: string): Checkpoint {
  const corrupt = (why: string): UserError => new UserError(`${file}: the checkpoint is corrupt (${why}); delete it or train again.`, "corrupt-checkpoint");
  if (bytes.length < 12 || bytes.toString("latin1", 0, 8) !== MAGIC) throw corrupt("it does not start with an mssmc checkpoint header");
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw corrupt(`truncated: ${bytes.length} bytes, the header alone needs ${12 + headerLength}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8", 12, 12 + headerLength));
  } catch {
    throw corrupt("its header is not valid JSON");
  }
  if (isRecord(parsed) && parsed["format"] !== CHECKPOINT_FORMAT) throw new UserError(`${file}: checkpoint format ${JSON.stringify(parsed["format"])} is not supported (this mssmc reads format ${CHECKPOINT_FORMAT}).`, "checkpoint-format");
  const problem = headerProblem(parsed);
  if (problem) throw corrupt(problem);
  const header = parsed as Header;
  const sizes = header.tensors.map((t) => t.shape.reduce((a, b) => a * b, 1) * 4);
  const expected = 12 + headerLength + sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== expected) throw corrupt(bytes.length < expected ? `truncated: ${bytes.length} of ${expected} bytes` : `${bytes.length - expected} bytes too many`);
  const { sha256, ...core } = header;
  const hash = createHash("sha256").update(Buffer.from(JSON.stringify(core), "utf8")).update(bytes.subarray(12 + headerLength));
  if (hash.digest("hex") !== sha256) throw corrupt("its SHA-256 does not match its contents");

  let at = 12 + headerLength;
  const params = new Map<string, Float32Array>();
  const states = new Map<string, Float32Array>();
  const tables = new Map<string, TableColumns>();
  header.tensors.forEach((t, i) => {
    // A copy, so the values are aligned and independent of the file buffer.
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + sizes[i]!));
    at += sizes[i]!;
    if (t.kind === "param") params.set(t.name, values);
    else if (t.kind === "state") states.set(t.name, values);
    else if (t.kind === "table") tables.set(t.field!, { field: t.field!, rows: t.shape[0]!, dim: t.shape[1]!, values, states: new Map() });
    else tables.get(t.field!)!.states.set(t.state!, values);
  });
  return {
    specHash: header.spec_hash,
    seed: header.seed,
    ...(header.streamed ? { streamed: true } : {}),
    preprocessing: header.preprocessing,
    state: { params, states, store: new EmbeddingStore([...tables.values()].map(packTable)), progress: header.progress, best: header.best, stale: header.stale, frozen: frozenMasks(header.frozen ?? {}), stepFrozen: frozenMasks(header.step_frozen ?? {}), ...(header.field_suspects ? { fieldSuspects: header.field_suspects } : {}), ...(header.epoch_sums ? { epochSums: header.epoch_sums } : {}) },
  };
}

/** Frozen gate masks from the header's indices (sized to the largest index; readCheckpoint resizes them to their groups). */
function frozenMasks(frozen: Record<string, number[]>): Map<string, Uint8Array> {
  return new Map(Object.entries(frozen).map(([g, ix]) => {
    // A loop, not Math.max(...ix): a weight-granularity group can freeze more indices than a call takes arguments.
    let largest = -1;
    for (const i of ix) largest = Math.max(largest, i);
    const mask = new Uint8Array(largest + 1);
    for (const i of ix) mask[i] = 1;
    return [g, mask];
  }));
}

/** Reads and verifies a checkpoint, and checks that it fits the compiled model `manifest`. */
export function readCheckpoint(path: string, manifest: Manifest): Checkpoint {
  if (!existsSync(path)) throw new UserError(`${path}: no such checkpoint; was this run folder trained?`, "missing-checkpoint");
  const c = decodeCheckpoint(readFileSync(path), path);
  const mismatch = (why: string): UserError => new UserError(`${path}: the checkpoint does not match the model in this run folder: ${why}.`, "checkpoint-mismatch");
  if (c.specHash !== manifest.spec_hash) throw mismatch(`it was trained from spec ${c.specHash}, the model is ${manifest.spec_hash}`);
  for (const p of manifest.params) {
    const v = c.state.params.get(p.name);
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (!v) throw mismatch(`parameter ${p.name} is missing`);
    if (v.length !== n) throw mismatch(`parameter ${p.name} has ${v.length} values, the model needs [${p.shape.join(", ")}]`);
  }
  for (const input of manifest.graphs.train.inputs) {
    if (input.role === "state" && input.members) {
      for (const m of input.members) {
        const v = c.state.states.get(m.name);
        if (!v || v.length !== m.size || v.length !== c.state.params.get(m.of)?.length) throw mismatch(`optimizer state ${m.name} is missing or has the wrong size`);
      }
      continue;
    }
    if (input.role !== "state" || !c.state.params.has(input.of ?? "")) continue;
    const v = c.state.states.get(input.name);
    if (!v || v.length !== c.state.params.get(input.of!)!.length) throw mismatch(`optimizer state ${input.name} is missing or has the wrong size`);
  }
  for (const [masks, what] of [[c.state.frozen, "frozen gates"], [c.state.stepFrozen, "the running step's frozen gates"]] as const) {
    for (const [group, mask] of masks) {
      const g = manifest.gate_groups.find((x) => x.name === group);
      const size = g?.shape.reduce((a, b) => a * b, 1) ?? 0;
      if (!g || mask.length > size) throw mismatch(`${what} of ${g ? `gate group ${group} lie outside its ${size} gates` : `an unknown gate group ${group}`}`);
      const whole = new Uint8Array(size);
      whole.set(mask);
      masks.set(group, whole);
    }
  }
  // The running step was cut for gates frozen then: they are frozen still.
  for (const [group, mask] of c.state.stepFrozen) if (mask.some((m, i) => m && !c.state.frozen.get(group)?.[i])) throw mismatch(`the running step's frozen gates of gate group ${group} are not all frozen`);
  for (const t of manifest.tables) {
    const stored = c.state.store.tables.get(t.field);
    if (!stored) throw mismatch(`the embedding table of field "${t.field}" is missing`);
    const kind = (c.preprocessing.fields[t.field] as { kind?: unknown } | undefined)?.kind;
    if (kind !== "categorical" && kind !== "multi_hot") throw mismatch(`the preprocessing has no vocabulary for field "${t.field}"`);
    const rows = tableRows(c.preprocessing, t.field);
    if (stored.dim !== t.dim || stored.rows !== rows) throw mismatch(`the embedding table of field "${t.field}" is [${stored.rows}, ${stored.dim}], the model needs [${rows}, ${t.dim}]`);
  }
  return c;
}

/** The compiled manifest of a run folder. */
export function readRunManifest(runDir: string): Manifest {
  const path = join(runDir, "artifact", "manifest.json");
  if (existsSync(runDir) && !statSync(runDir).isDirectory()) throw new UserError(`${runDir}: a file, not a run folder (the folder \`mssmc train ... --out RUN\` writes).`, "not-a-run");
  if (!existsSync(path)) throw new UserError(`${runDir}: not a run folder (no artifact/manifest.json); train one with \`mssmc train SPEC --data FILE --out ${runDir}\`.`, "not-a-run");
  const damaged = (why: string): UserError => new UserError(`${path}: ${why}; the run folder is damaged, train it again.`, "damaged-run");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (e) {
    if (e instanceof SyntaxError) throw damaged("not valid JSON");
    throw e;
  }
  const m = manifest as unknown;
  if (!isRecord(m) || typeof m["spec_hash"] !== "string" || !isRecord(m["spec"]) || !isRecord(m["spec"]["gates"]) || !Array.isArray(m["params"]) || !Array.isArray(m["tables"]) || !isRecord(m["graphs"]) || !isRecord(m["graphs"]["train"]) || !Array.isArray(m["graphs"]["train"]["inputs"])) {
    throw damaged("not a compiled model's manifest (spec_hash, spec, params, tables or graphs missing)");
  }
  // Run folders written before gates.select_offset existed were trained with the paper's FSCM,
  // relu(tanh(g · e)): offset 0, not today's default of 1.
  const gates = manifest.spec.gates as Partial<Manifest["spec"]["gates"]>;
  if (gates.select_offset === undefined) manifest.spec.gates = { ...manifest.spec.gates, select_offset: 0 };
  return manifest;
}

/** The trained model of a run folder, from its `best` (default) or `last` checkpoint. */
export function loadTrainedModel(runDir: string, which: "best" | "last" = "best"): TrainedModel {
  const manifest = readRunManifest(runDir);
  const c = readCheckpoint(checkpointPath(runDir, which), manifest);
  const params = new Map(manifest.params.map((p) => [p.name, c.state.params.get(p.name)!]));
  return { manifest, params, tables: c.state.store.valueTables(), preprocessing: c.preprocessing };
}
