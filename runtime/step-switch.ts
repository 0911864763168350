// Moving a run to the smaller training step as its gates freeze (docs/design.md, "The training
// step"). At each freeze point the compiler cuts the train-mode forward to what the frozen gates
// leave open (compiler/sparse-step/), and the run moves to the step compiled for that cut when the
// time it saves over the steps left pays for compiling and opening it (`switchPays`); each step is
// compiled and opened once per run (cached by its cut). The smaller step's inputs and outputs are
// the full step's, by name, so parameters, optimizer state and embedding rows carry over as they
// are; the runner only repacks params whose packing differs.
//
// Which step runs is a function of the frozen set and of the last freeze point alone, both known
// from a checkpoint, so a resumed run picks the step the uninterrupted run was on.

import type * as ort from "onnxruntime-node";
import { cutForward, rowWeightedTasks, sparseStep, type CutForward, type Manifest, type TargetName, withTrainStep } from "../compiler/index.js";
import type { ParamSlice } from "../compiler/sparse-step/slice-params.js";
import type { TrainState } from "./checkpoint.js";
import type { FrozenGates } from "./freeze.js";
import { StepRunner } from "./step.js";

/**
 * The cost model of a switch, measured on the zoo MSSM on Adult (batch 1024, 1 thread, the 2-core
 * machine under load; docs/design.md, "The training step"), the steps run from the state and frozen
 * set a full run ends with, 200 steps each, interleaved, medians of CPU time:
 * - `stepSecondsPerMac`: the step time saved per multiply-add per example cut from the forward, per
 *   example of the batch: the smaller step for that frozen set (73,248 -> 36,220 multiply-adds per
 *   example) took 4.90-4.94 instead of 5.66-5.76 ms per step: 0.79 ms / (37,028 x 1024) = 2.1e-11 s.
 * - `switchSeconds`: cutting the forward, compiling the step, opening its session and its first,
 *   slower run: 0.13-0.17 s.
 */
export const SWITCH_COSTS = { stepSecondsPerMac: 2.1e-11, switchSeconds: 0.15 };

/**
 * Whether a step of `cutMacs` multiply-adds per example pays for moving to it from one of
 * `fullMacs` with `remaining` steps of `batch` examples left:
 *   (M_full − M_cut) · batch · remaining · stepSecondsPerMac > switchSeconds.
 */
export function switchPays(fullMacs: number, cutMacs: number, batch: number, remaining: number, costs: typeof SWITCH_COSTS = SWITCH_COSTS): boolean {
  return (fullMacs - cutMacs) * batch * remaining * costs.stepSecondsPerMac > costs.switchSeconds;
}

/** When gates freeze: at each epoch's end (every `perEpoch` steps) and every `every` steps. */
export interface FreezeCadence {
  readonly perEpoch: number;
  readonly every: number | undefined;
}

/** The last freeze point at or before step `step` (0 when none was): where the running step was chosen. */
export function lastFreezePoint(step: number, cadence: FreezeCadence): number {
  const epochEnd = Math.floor(step / cadence.perEpoch) * cadence.perEpoch;
  return cadence.every === undefined ? epochEnd : Math.max(epochEnd, Math.floor(step / cadence.every) * cadence.every);
}

/** The step a run is on: its runner, its cut ("" for the artifact's full step) and its multiply-adds per example. */
export interface CurrentStep {
  readonly runner: StepRunner;
  readonly key: string;
  readonly macsPerExample: number;
}

/** The noise inputs' frozen masks of a frozen set (by gate group), as the compiler's cut reads them. */
export function frozenNoise(manifest: Manifest, frozen: FrozenGates): Map<string, Uint8Array> {
  return new Map(manifest.gate_groups.flatMap((g) => (frozen.has(g.name) ? [[g.noise, frozen.get(g.name)!] as const] : [])));
}

/**
 * The smaller step for a frozen set, compiled: the manifest a runner reads for it, its bytes and
 * its multiply-adds per example; undefined when the frozen set cuts nothing.
 */
export function frozenStep(manifest: Manifest, frozen: FrozenGates, target: TargetName, options: { slice?: boolean } = {}): { manifest: Manifest; bytes: Uint8Array; macs: number; slices: readonly ParamSlice[] } | undefined {
  const cut = cutForward(manifest.spec, frozenNoise(manifest, frozen), new Set(rowWeightedTasks(manifest.graphs.train.inputs)), options);
  if (cut.key === "") return undefined;
  const compiled = sparseStep(manifest.spec, cut, { opset: manifest.opset, target });
  return { manifest: withTrainStep(manifest, compiled), bytes: compiled.bytes, macs: compiled.macsPerExample, slices: compiled.slices };
}

/** The steps of one run, the artifact's full one first. */
export class StepSwitch {
  private readonly steps = new Map<string, CurrentStep>();
  /** The cut forward of each frozen set seen (by its gate elements), so an unchanged set is not cut again. */
  private readonly cuts = new Map<string, CutForward>();
  private readonly full: CurrentStep;
  current: CurrentStep;
  /** Seconds spent cutting, compiling and opening steps. */
  compileSeconds = 0;
  /** How many times the running step changed. */
  switches = 0;

  constructor(
    private readonly manifest: Manifest,
    full: StepRunner,
    private readonly target: TargetName,
    private readonly open: (model: Uint8Array) => Promise<ort.InferenceSession>,
    private readonly totalSteps: number,
    private readonly gateHoldSteps: number,
    private readonly cadence: FreezeCadence,
  ) {
    this.full = { runner: full, key: "", macsPerExample: manifest.summary.macsPerExample };
    this.current = this.full;
    this.steps.set("", this.full);
  }

  /** Puts the running step's sliced values back into the state (StepRunner.settle): before anything else reads the state. */
  settle(state: TrainState): void {
    this.current.runner.settle(state);
  }

  /**
   * Chooses the step for the state's frozen set at its step (a freeze point, or where a resumed
   * run starts), compiling it on first use: the smaller step when it pays over the steps left
   * after the last freeze point, else the full one; the running step is settled first. True when
   * the running step changed.
   */
  async follow(state: TrainState): Promise<boolean> {
    this.settle(state);
    const { frozen, progress: { step } } = state;
    const started = performance.now();
    const remaining = this.totalSteps - lastFreezePoint(step, this.cadence);
    if (remaining <= 0) return false; // no step runs any more: the epoch's record keeps the step it ran
    const fullMacs = this.full.macsPerExample;
    const batch = this.manifest.spec.train.batch;
    let next = this.full;
    // A cut can remove at most every multiply-add: when even that does not pay, nothing is cut.
    if (frozen.size > 0 && switchPays(fullMacs, 0, batch, remaining)) {
      const cut = this.cutFor(frozen);
      if (cut.key !== "" && switchPays(fullMacs, cut.macsPerExample, batch, remaining)) next = this.steps.get(cut.key) ?? (await this.compile(cut));
    }
    this.compileSeconds += (performance.now() - started) / 1000;
    const changed = next !== this.current;
    if (changed) this.switches++;
    this.current = next;
    return changed;
  }

  /** The forward cut for a frozen set, cut once per set. */
  private cutFor(frozen: FrozenGates): CutForward {
    const id = JSON.stringify([...frozen].sort(([a], [b]) => (a < b ? -1 : 1)).map(([g, mask]) => [g, [...mask.keys()].filter((i) => mask[i])]));
    let cut = this.cuts.get(id);
    if (!cut) {
      cut = cutForward(this.manifest.spec, frozenNoise(this.manifest, frozen), new Set(rowWeightedTasks(this.manifest.graphs.train.inputs)));
      this.cuts.set(id, cut);
    }
    return cut;
  }

  /** Compiles and opens the step of a cut. */
  private async compile(cut: CutForward): Promise<CurrentStep> {
    const compiled = sparseStep(this.manifest.spec, cut, { opset: this.manifest.opset, target: this.target });
    const runner = new StepRunner(withTrainStep(this.manifest, compiled), await this.open(compiled.bytes), this.totalSteps, this.gateHoldSteps, compiled.slices);
    const step = { runner, key: cut.key, macsPerExample: compiled.macsPerExample };
    this.steps.set(cut.key, step);
    return step;
  }
}
