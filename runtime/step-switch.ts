// Moving a run to smaller training steps as its gates freeze (docs/design.md, "When to switch").
// At each freeze point the compiler cuts the train-mode forward to what the frozen gates leave
// open and slices the params to what the cut reads (compiler/sparse-step/), and the run moves to
// the step compiled for that cut when the time it saves over the running step, over the steps
// left, pays for compiling and opening it (`switchPays`); each step is compiled and opened
// once per run (cached by its cut). A step cut for a part of the frozen set stays exact as more
// gates freeze (their z is exactly 0 in any step), so the running step stays exact and the run
// never moves back.
//
// The running step's frozen set is part of the state (TrainState.stepFrozen, in the checkpoint):
// a resumed run goes on with that step, and every later choice depends only on the state, so it
// makes the choices of the uninterrupted run.

import type * as ort from "onnxruntime-node";
import { cutForward, rowWeightedTasks, sparseStep, stepMacsPerExample, type CutForward, type Manifest, type ParamSlice, type TargetName, withTrainStep } from "../compiler/index.js";
import type { TrainState } from "./checkpoint.js";
import type { FrozenGates } from "./freeze.js";
import { StepRunner } from "./step.js";

/**
 * The cost model of a switch (docs/design.md, "When to switch"), measured with
 * bench/step-profile.ts on the zoo MSSM on Adult (batch 1024, 1 thread, the 2-core machine at load
 * 1-2; `--steps 60 --repeats 6 --fractions 0.125,0.25,...,0.875`, 4 invocations: sliced cuts for
 * parts of a 10-epoch run's final frozen set, 33,312 -> 17,800-30,932 multiply-adds per example,
 * interleaved with the full step). A step's CPU time, less what every step spends, is modelled as
 * s · M · batch, plus c for a cut step:
 * - `stepSecondsPerMac` (s) and `cutStepSeconds` (c): the least-squares line through each cut's
 *   step CPU time less the full step's in the same invocation, against the multiply-adds it cuts
 *   (32 points): s = 8.0e-11 s, c = 0.23 ms (per invocation 7.6-9.0e-11 and 0.21-0.29 ms). A cut
 *   step still runs more kernels than the full one (501 instead of 424 for the final set: open and
 *   closed parts of layers, the masks' factors gathered from the gates), but every cut measured
 *   ran faster than the full step, the final set's by 1.0-1.2 ms (3.3-3.7 ms the full step's).
 *   Before cut steps read a folded weight's copies as one block and their masks from the gates
 *   (slice-params.ts), c was 1.3 ms and cuts of up to three quarters of that set ran slower.
 * - `switchSeconds` (S): what a switch costs a run. In step-profile, compiling the step, opening
 *   its session and its first run's extra over its median took 0.13-0.21 s, median 0.16 (32
 *   measurements); in 30-epoch runs of the zoo MSSM (`mssmc train`, seeds 1, 2, 7), compiling and
 *   opening took about 0.18 s a switch, and the first epoch on the new step ran 9-48 ms longer
 *   than the next one on it (median 27 ms, 6 switches: its first outputs land in fresh pages,
 *   docs/design.md "What it buys"), so S = 0.21 s. Cutting the forward (5-20 ms) is not in it: it
 *   is done at every freeze point, switch or not, to know M_cut.
 */
export const SWITCH_COSTS = { stepSecondsPerMac: 8.0e-11, cutStepSeconds: 2.3e-4, switchSeconds: 0.21 };

/** A step's time as the switch rule models it, less what every step spends: s · M · batch, plus c for a cut step. */
function modelledSeconds(step: { macs: number; cut: boolean }, batch: number, costs: typeof SWITCH_COSTS): number {
  return step.macs * batch * costs.stepSecondsPerMac + (step.cut ? costs.cutStepSeconds : 0);
}

/**
 * Whether a cut step of `toMacs` multiply-adds per example pays for moving to it from the running
 * step (`from`: its multiply-adds per example and whether it is a cut), with `remaining` steps of
 * `batch` examples left:
 *   ((M_from − M_to) · batch · s − c · [from is the full step]) · remaining > S.
 */
export function switchPays(from: { macs: number; cut: boolean }, toMacs: number, batch: number, remaining: number, costs: typeof SWITCH_COSTS = SWITCH_COSTS): boolean {
  return (modelledSeconds(from, batch, costs) - modelledSeconds({ macs: toMacs, cut: true }, batch, costs)) * remaining > costs.switchSeconds;
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

/** The train-mode forward cut to what a frozen set leaves open (its key is "" when it cuts nothing). */
export function cutFor(manifest: Manifest, frozen: FrozenGates): CutForward {
  return cutForward(manifest.spec, frozenNoise(manifest, frozen), new Set(rowWeightedTasks(manifest.graphs.train.inputs)));
}

/** A compiled smaller step: the manifest a runner reads for it, its bytes, its multiply-adds per example and its sliced params. */
export interface CompiledStep {
  readonly manifest: Manifest;
  readonly bytes: Uint8Array;
  readonly macs: number;
  readonly slices: readonly ParamSlice[];
}

/** The step of a cut, compiled. */
export function compileCut(manifest: Manifest, cut: CutForward, target: TargetName, options: { slice?: boolean } = {}): CompiledStep {
  const compiled = sparseStep(manifest.spec, cut, { opset: manifest.opset, target, ...options });
  return { manifest: withTrainStep(manifest, compiled), bytes: compiled.bytes, macs: compiled.macsPerExample, slices: compiled.slices };
}

/** The smaller step for a frozen set, compiled; undefined when the frozen set cuts nothing. */
export function frozenStep(manifest: Manifest, frozen: FrozenGates, target: TargetName, options: { slice?: boolean } = {}): CompiledStep | undefined {
  const cut = cutFor(manifest, frozen);
  return cut.key === "" ? undefined : compileCut(manifest, cut, target, options);
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
  ) {
    this.full = { runner: full, key: "", macsPerExample: stepMacsPerExample(manifest.spec) };
    this.current = this.full;
    this.steps.set("", this.full);
  }

  /** Puts the running step's sliced values back into the state (StepRunner.settle): before anything else reads the state. */
  settle(state: TrainState): void {
    this.current.runner.settle(state);
  }

  /** Where a run starts (fresh or resumed): on the step cut for the state's `stepFrozen`, the full one when it is empty. */
  async resume(state: TrainState): Promise<void> {
    if (state.stepFrozen.size === 0) return;
    const started = performance.now();
    const cut = this.cutOf(state.stepFrozen);
    this.current = cut.key === "" ? this.full : (this.steps.get(cut.key) ?? (await this.compile(cut)));
    this.compileSeconds += (performance.now() - started) / 1000;
  }

  /**
   * At a freeze point: settles the running step, then moves to the step cut for the state's
   * frozen set, compiling it on first use, when that pays over the running step for the steps
   * left (switchPays), and records the frozen set it was cut for in the state. True when the
   * running step changed.
   */
  async follow(state: TrainState): Promise<boolean> {
    this.settle(state);
    const { frozen, progress: { step } } = state;
    const remaining = this.totalSteps - step;
    const batch = this.manifest.spec.train.batch;
    const from = { macs: this.current.macsPerExample, cut: this.current.key !== "" };
    // A cut can remove at most every multiply-add: when even that does not pay, nothing is cut.
    if (frozen.size === 0 || !switchPays(from, 0, batch, remaining)) return false;
    const started = performance.now();
    const cut = this.cutOf(frozen);
    const changed = cut.key !== "" && cut.key !== this.current.key && switchPays(from, cut.macsPerExample, batch, remaining);
    if (changed) {
      this.current = this.steps.get(cut.key) ?? (await this.compile(cut));
      state.stepFrozen = new Map([...frozen].map(([g, mask]) => [g, mask.slice()]));
      this.switches++;
    }
    this.compileSeconds += (performance.now() - started) / 1000;
    return changed;
  }

  /** The forward cut for a frozen set, cut once per set. */
  private cutOf(frozen: FrozenGates): CutForward {
    const id = JSON.stringify([...frozen].sort(([a], [b]) => (a < b ? -1 : 1)).map(([g, mask]) => [g, [...mask.keys()].filter((i) => mask[i])]));
    let cut = this.cuts.get(id);
    if (!cut) {
      cut = cutFor(this.manifest, frozen);
      this.cuts.set(id, cut);
    }
    return cut;
  }

  /** Compiles and opens the step of a cut. */
  private async compile(cut: CutForward): Promise<CurrentStep> {
    const compiled = compileCut(this.manifest, cut, this.target);
    const runner = new StepRunner(compiled.manifest, await this.open(compiled.bytes), this.totalSteps, this.gateHoldSteps, compiled.slices);
    const step = { runner, key: cut.key, macsPerExample: compiled.macs };
    this.steps.set(cut.key, step);
    return step;
  }
}
