// One training step in the runtime: build train.onnx's feeds exactly as the manifest lists its
// inputs (parameters, optimizer state, gathered embedding rows, the batch, gate noise, step and
// learning rates), run the graph, and take its `next` outputs back into the training state
// (parameters replaced, rows scattered into the embedding store). The training loop
// (runtime/train.ts) and bench/train-step.ts both drive steps through this, so what the bench
// times is what training does.
//
// Everything that depends only on the manifest (which input has which role, where each output
// goes) is worked out once, in the constructor; a step only moves data. Timings of the three
// phases are kept, so the bench can show how much of a step is spent outside session.run.

import * as ort from "onnxruntime-node";
import { isNoiseInput, isPredictionOutput, L0_OUTPUT, labelTask, LOSS_OUTPUT, optimizerOf, taskLossOutput, type Manifest, type ParamSlice, type Task, type TensorInfo, type Train } from "../compiler/index.js";
import { invariant } from "../base/source/diagnostic.js";
import type { TrainState } from "./checkpoint.js";
import { numericFields, type Batch } from "./data/batches.js";
import { Random, STREAM } from "../base/random.js";
import { dataFeed, lookupInputs, type LookupInputs } from "./evaluate.js";
import { frozenTensors, holdFrozen, warmupHeld, type FrozenGates } from "./freeze.js";

/** Gate noise is drawn from U(NOISE_EPS, 1 − NOISE_EPS), so log u and log(1 − u) stay finite. */
export const NOISE_EPS = 1e-6;

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

/**
 * The gate noise of step t: one U(ε, 1 − ε) draw per gate, group after group in manifest order.
 * A group whose noise input has a batch axis (`gates.noise: per_example`) gets `batch` draws per
 * gate, example after example, from the same stream with 24 bits each (Random.fillUniform24).
 * A gate frozen closed (`frozen`, by gate group) is still drawn, so the others' draws do not
 * depend on what is frozen, and fed as ε, which keeps its z at exactly 0 (runtime/freeze.ts).
 */
export function gateNoise(manifest: Manifest, seed: number, t: number, frozen?: ReadonlyMap<string, Uint8Array>, batch?: number): Map<string, Float32Array> {
  const rng = Random.stream(seed, STREAM.gateNoise, t);
  const out = new Map<string, Float32Array>();
  const noiseRank = new Map(manifest.graphs.train.inputs.map((i) => [i.name, i.shape.length]));
  for (const g of manifest.gate_groups) {
    const n = g.shape.reduce((a, b) => a * b, 1);
    const perExample = noiseRank.get(g.noise)! > g.shape.length;
    invariant(!perExample || batch !== undefined, `${g.noise} is drawn per example, so it needs the batch size`);
    const u = new Float32Array((perExample ? batch! : 1) * n);
    if (perExample) rng.fillUniform24(u, NOISE_EPS, 1 - NOISE_EPS);
    else for (let i = 0; i < u.length; i++) u[i] = NOISE_EPS + (1 - 2 * NOISE_EPS) * rng.uniform();
    const closed = frozen?.get(g.name);
    if (closed) for (let i = 0; i < u.length; i++) if (closed[i % n]) u[i] = NOISE_EPS;
    out.set(g.noise, u);
  }
  return out;
}

/** What one step reports. */
export interface StepResult {
  loss: number;
  l0: number;
  taskLoss: Record<string, number>;
}

/** Milliseconds spent in each phase of the steps run so far. */
export interface StepTimings {
  steps: number;
  /** Gate noise, gathering rows from the store, building the feed tensors. */
  feeds: number;
  /** session.run, including onnxruntime's copy of every output. */
  run: number;
  /** Taking `next` outputs into the state and scattering rows back into the store. */
  apply: number;
}

/** Where a `next` output goes. */
type Target =
  | { kind: "param" | "state"; name: string }
  | { kind: "packed"; into: "params" | "states"; members: readonly StateMember[] }
  | { kind: "rows"; table: number }
  | { kind: "rowState"; table: number; index: number };

/** One param (or one param's state) in a packed input (compiler/train-step/pack.ts). */
type StateMember = NonNullable<TensorInfo["members"]>[number];

/**
 * The packed input of `members` (params, or their states), whole: after a step (or from
 * initialState, for state) they are views of one buffer, fed as it is; otherwise (fresh params,
 * a checkpoint) they are copied into a new buffer once, and become views of it.
 */
function packedInput(states: Tensors, members: readonly StateMember[]): Float32Array {
  const total = members.reduce((a, m) => a + m.size, 0);
  const first = states.get(members[0]!.name);
  let at = first?.byteOffset ?? 0;
  const whole = first !== undefined && members.every((m) => {
    const v = states.get(m.name);
    const ok = v !== undefined && v.buffer === first.buffer && v.byteOffset === at && v.length === m.size;
    at += m.size * 4;
    return ok;
  });
  if (whole) return new Float32Array(first.buffer, first.byteOffset, total);
  const packed = new Float32Array(total);
  let offset = 0;
  for (const m of members) {
    const v = states.get(m.name);
    invariant(v !== undefined && v.length === m.size, `param or optimizer state ${m.name} is missing or has ${v?.length} values, not ${m.size}`);
    packed.set(v, offset);
    states.set(m.name, packed.subarray(offset, offset + m.size));
    offset += m.size;
  }
  return packed;
}

/** Where a step reads and writes params or optimizer states by name: the state's maps, or a sliced step's own values over them. */
type Tensors = Pick<Map<string, Float32Array>, "get" | "set">;

/** A tensor of a sliced step (a param or one of its optimizer states) and the entries of the whole tensor it holds. */
interface SlicedTensor {
  readonly whole: string;
  readonly kind: "params" | "states";
  readonly entries: Int32Array;
}

/** The sliced tensors of a step: each sliced param, and each of its optimizer states, named in the step as `<slice><suffix>` for the whole `<param><suffix>`. */
function slicedTensors(inputs: readonly TensorInfo[], slices: readonly ParamSlice[]): Map<string, SlicedTensor> {
  const out = new Map<string, SlicedTensor>();
  const of = new Map(slices.map((s) => [s.name, s]));
  for (const s of slices) out.set(s.name, { whole: s.of, kind: "params", entries: s.entries });
  const addState = (name: string, param: string) => {
    const s = of.get(param);
    if (!s) return;
    invariant(name.startsWith(param), `optimizer state ${name} of ${param} is not named after it`);
    out.set(name, { whole: s.of + name.slice(param.length), kind: "states", entries: s.entries });
  };
  for (const input of inputs) {
    if (input.role !== "state") continue;
    if (input.members) for (const m of input.members) addState(m.name, m.of);
    else if (input.of !== undefined) addState(input.name, input.of);
  }
  return out;
}

/** Runs training steps of one compiled model on one session. */
export class StepRunner {
  readonly timings: StepTimings = { steps: 0, feeds: 0, run: 0, apply: 0 };
  private readonly inputs: readonly TensorInfo[];
  private readonly fetches: string[];
  private readonly targets: { name: string; target: Target }[] = [];
  private readonly rowStates: Map<string, { table: number; index: number }>;
  private readonly tableOfRows: Map<string, number>;
  private readonly baseLr: Map<string, number>;
  private readonly numericCount: number;
  private readonly lookups: LookupInputs;
  private readonly frozenTensors: ReturnType<typeof frozenTensors>;
  /** The field gates' log α (no optimizer state) and all-set masks: what a warm-up holding the field gates only puts back (GATE_WARMUP_HOLDS). */
  private readonly fieldGates: { tensors: ReturnType<typeof frozenTensors>; all: FrozenGates };
  /** The warm-up holds every gate group (by a learning rate of 0), not the field gates only (runtime/freeze.ts, warmupHeld). */
  private readonly warmupHoldsAll: boolean;
  private readonly sliced: Map<string, SlicedTensor>;
  /** A sliced step's own values of its sliced tensors, taken from the state at its first step after a settle (settle puts them back). */
  private live: Map<string, Float32Array> | undefined;

  /**
   * `totalSteps` is the length of the run, for decaying learning-rate schedules; the gate group's
   * learning rate is 0 for steps up to `gateHoldSteps` (the gate warm-up, compiler/sparse-step/settings.ts;
   * a model named in GATE_WARMUP_HOLDS.fieldsOnly holds only its field gates' log α);
   * `slices`: a smaller step's params that hold some entries of the model's (compiler/sparse-step/slice-params.ts).
   */
  constructor(
    private readonly manifest: Manifest,
    private readonly session: ort.InferenceSession,
    private readonly totalSteps: number,
    private readonly gateHoldSteps = 0,
    slices: readonly ParamSlice[] = [],
  ) {
    const { train } = manifest.graphs;
    this.inputs = train.inputs;
    this.numericCount = numericFields(manifest.spec).length;
    this.lookups = lookupInputs(manifest);
    this.frozenTensors = frozenTensors(manifest);
    // Freezing (holdFrozen, freezeClosedGates) reads and writes a gate's log α and its state in the
    // whole tensors, even before a settle: a smaller step never slices them (slice-params.ts slices
    // dense params only).
    const gateParams = new Set([...this.frozenTensors.values()].map((t) => t.param));
    invariant(slices.every((s) => !gateParams.has(s.of)), "A smaller step slices a gate's log α, which freezing reads whole.");
    const held = warmupHeld(manifest);
    this.warmupHoldsAll = held.all;
    const fields = manifest.gate_groups.filter((g) => held.groups.has(g.name));
    this.fieldGates = {
      tensors: new Map(fields.map((g) => [g.name, { param: this.frozenTensors.get(g.name)!.param, states: [] }])),
      all: new Map(fields.map((g) => [g.name, new Uint8Array(g.shape.reduce((a, b) => a * b, 1)).fill(1)])),
    };
    this.sliced = slicedTensors(train.inputs, slices);
    this.fetches = train.outputs.filter((o) => !isPredictionOutput(o.name)).map((o) => o.name);
    this.tableOfRows = new Map(manifest.tables.map((t, i) => [t.rows, i]));
    this.rowStates = new Map();
    manifest.tables.forEach((t, table) => train.inputs.filter((i) => i.role === "state" && i.of === t.rows).forEach((s, index) => this.rowStates.set(s.name, { table, index })));
    this.baseLr = new Map(train.inputs.filter((i) => i.role === "lr").map((i) => [i.name, optimizerOf(manifest.spec.train, i.group!).lr]));
    const params = new Set(train.inputs.filter((i) => i.role === "param").map((i) => i.name));
    const states = new Set(train.inputs.filter((i) => i.role === "state" && !this.rowStates.has(i.name)).map((i) => i.name));
    for (const o of train.outputs) {
      if (o.role !== "next") continue;
      const of = o.of!;
      const table = this.tableOfRows.get(of);
      const rowState = this.rowStates.get(of);
      let target: Target;
      const packed = train.inputs.find((i) => i.name === of && i.members);
      if (packed) target = { kind: "packed", into: packed.role === "param" ? "params" : "states", members: packed.members! };
      else if (params.has(of)) target = { kind: "param", name: of };
      else if (states.has(of)) target = { kind: "state", name: of };
      else if (table !== undefined) target = { kind: "rows", table };
      else {
        invariant(rowState !== undefined, `train.onnx output ${o.name} updates an unknown input ${of}`);
        target = { kind: "rowState", ...rowState };
      }
      this.targets.push({ name: o.name, target });
    }
  }

  /** Runs step t (1-based) on `batch`, updating `state` in place (its progress is the caller's). */
  async run(state: TrainState, batch: Batch, t: number): Promise<StepResult> {
    const { manifest } = this;
    const settings = manifest.spec.train;
    const started = performance.now();
    const noise = gateNoise(manifest, settings.seed, t, state.frozen, batch.size);
    const restoreFrozen = holdFrozen(this.frozenTensors, state);
    const warming = t <= this.gateHoldSteps;
    const holdsAll = this.warmupHoldsAll;
    const restoreFields = warming && !holdsAll ? holdFrozen(this.fieldGates.tensors, state, this.fieldGates.all) : undefined;
    const { params, states } = this.tensors(state);
    const gathered = manifest.tables.map((table) => {
      const ids = batch.embeddings[table.field]!.unique;
      return { ids, ...state.store.gather(table.field, ids) };
    });
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.inputs) {
      let tensor: ort.Tensor | undefined;
      switch (input.role) {
        case "param":
          tensor = new ort.Tensor("float32", input.members ? packedInput(params, input.members) : params.get(input.name)!, input.shape as number[]);
          break;
        case "rows": {
          const table = this.tableOfRows.get(input.name)!;
          const g = gathered[table]!;
          tensor = new ort.Tensor("float32", g.rows, [g.ids.length, manifest.tables[table]!.dim]);
          break;
        }
        case "state": {
          const rowState = this.rowStates.get(input.name);
          if (input.members) tensor = new ort.Tensor("float32", packedInput(states, input.members), input.shape as number[]);
          else if (rowState) {
            const g = gathered[rowState.table]!;
            tensor = new ort.Tensor("float32", g.states[rowState.index]!, [g.ids.length, manifest.tables[rowState.table]!.dim]);
          } else tensor = new ort.Tensor("float32", states.get(input.name)!, input.shape as number[]);
          break;
        }
        case "step":
          tensor = new ort.Tensor("float32", Float32Array.of(t), []);
          break;
        case "lr":
          tensor = new ort.Tensor("float32", Float32Array.of(input.group === "gate" && warming && holdsAll ? 0 : learningRate(this.baseLr.get(input.name)!, settings, t, this.totalSteps)), []);
          break;
        case "data":
          tensor = dataInput(input, batch, noise, manifest.spec.tasks, this.numericCount, this.lookups);
          break;
      }
      invariant(tensor !== undefined, `train.onnx input ${input.name} (role ${input.role}) has no feed`);
      feeds[input.name] = tensor;
    }
    const ran = performance.now();
    const result = await this.session.run(feeds, this.fetches);
    const applied = performance.now();

    const scalar = (name: string) => (result[name]!.data as Float32Array)[0]!;
    const loss = scalar(LOSS_OUTPUT);
    const out: StepResult = { loss, l0: scalar(L0_OUTPUT), taskLoss: Object.fromEntries(manifest.spec.tasks.map((task) => [task.name, scalar(taskLossOutput(task.name))])) };
    // A diverged step changes nothing: the caller stops, and the state stays the last good one.
    if (Number.isFinite(loss)) {
      // Outputs are fresh buffers owned by us; they become the next step's inputs.
      const nextRows = manifest.tables.map((): { rows?: Float32Array; states: Float32Array[] } => ({ states: [] }));
      for (const { name, target } of this.targets) {
        const value = result[name]!.data as Float32Array;
        switch (target.kind) {
          case "param":
            params.set(target.name, value);
            break;
          case "state":
            states.set(target.name, value);
            break;
          case "packed": {
            const into = target.into === "params" ? params : states;
            let offset = 0;
            for (const m of target.members) {
              into.set(m.name, value.subarray(offset, offset + m.size));
              offset += m.size;
            }
            break;
          }
          case "rows":
            nextRows[target.table]!.rows = value;
            break;
          case "rowState":
            nextRows[target.table]!.states[target.index] = value;
            break;
        }
      }
      manifest.tables.forEach((table, i) => {
        const next = nextRows[i]!;
        invariant(next.rows !== undefined, `train.onnx gave no update for ${table.rows}`);
        state.store.scatter(table.field, gathered[i]!.ids, next.rows, next.states);
      });
      restoreFrozen();
      restoreFields?.();
    }
    const done = performance.now();
    this.timings.steps++;
    this.timings.feeds += ran - started;
    this.timings.run += applied - ran;
    this.timings.apply += done - applied;
    return out;
  }

  /**
   * Where this step reads and writes params and states: the state's maps, and for a sliced step
   * its own sliced values over them, gathered from the whole tensors at the first step after a settle.
   */
  private tensors(state: TrainState): { params: Tensors; states: Tensors } {
    if (this.sliced.size === 0) return { params: state.params, states: state.states };
    if (!this.live) {
      this.live = new Map();
      for (const [name, s] of this.sliced) {
        const whole = state[s.kind].get(s.whole);
        invariant(whole !== undefined, `sliced ${name}: the state has no ${s.whole}`);
        const part = new Float32Array(s.entries.length);
        for (let i = 0; i < part.length; i++) part[i] = whole[s.entries[i]!]!;
        this.live.set(name, part);
      }
    }
    const live = this.live;
    const over = (base: Map<string, Float32Array>): Tensors => ({
      get: (name) => live.get(name) ?? base.get(name),
      set(name, v) {
        (live.has(name) ? live : base).set(name, v);
        return this as never;
      },
    });
    return { params: over(state.params), states: over(state.states) };
  }

  /**
   * Puts a sliced step's values back into the state's whole tensors (the entries it does not hold
   * are carried unchanged), so that the state is the model's again: before anything else reads or
   * writes it (evaluation, freezing, a checkpoint, another step). Nothing to do for other steps.
   */
  settle(state: TrainState): void {
    if (!this.live) return;
    const copied = new Map<string, Float32Array>();
    for (const [name, s] of this.sliced) {
      const key = `${s.kind} ${s.whole}`;
      let whole = copied.get(key);
      if (!whole) {
        // A copy: the whole tensor may be a view of a packed buffer another step still feeds.
        whole = state[s.kind].get(s.whole)!.slice();
        copied.set(key, whole);
        state[s.kind].set(s.whole, whole);
      }
      const part = this.live.get(name)!;
      for (let i = 0; i < s.entries.length; i++) whole[s.entries[i]!] = part[i]!;
    }
    this.live = undefined;
  }
}

/** The feed of a `data` input of train.onnx: labels, gate noise or the batch's features. */
function dataInput(input: TensorInfo, batch: Batch, noise: Map<string, Float32Array>, tasks: readonly Task[], numericCount: number, lookups: LookupInputs): ort.Tensor | undefined {
  if (isNoiseInput(input.name)) {
    const u = noise.get(input.name);
    invariant(u !== undefined, `no gate group feeds ${input.name}`);
    return new ort.Tensor("float32", u, input.shape.map((d) => (typeof d === "number" ? d : batch.size)));
  }
  const labelled = labelTask(input.name);
  if (labelled !== undefined) {
    const task = tasks.find((t) => t.name === labelled);
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
  return dataFeed(input.name, batch, numericCount, lookups);
}
