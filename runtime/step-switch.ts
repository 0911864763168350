// Moving a run to smaller training steps as its gates freeze (docs/design.md, "When to switch").
// At each freeze point the compiler cuts the train-mode forward to what the frozen gates leave
// open and slices the params to what the cut reads (compiler/sparse-step/), and the run moves to
// the step compiled for that cut when the time it saves over the running step, over the steps
// left, pays for cutting, compiling and opening it (`switchPays`); each step is compiled and opened
// once per run (cached by its cut). A step cut for a part of the frozen set stays exact as more
// gates freeze (their z is exactly 0 in any step), so the running step is never worse than the
// full one and the run never moves back.
//
// The running step's frozen set is part of the state (TrainState.stepFrozen, in the checkpoint):
// a resumed run goes on with that step, and every later choice depends only on the state, so it
// makes the choices of the uninterrupted run.

import type * as ort from "onnxruntime-node";
import { cutForward, rowWeightedTasks, sparseStep, type CutForward, type Manifest, type ParamSlice, type TargetName, withTrainStep } from "../compiler/index.js";
import type { TrainState } from "./checkpoint.js";
import type { FrozenGates } from "./freeze.js";
import { StepRunner } from "./step.js";

/**
 * The cost model of a switch (docs/design.md, "When to switch"), measured with
 * bench/step-profile.ts and bench/sparse-training.ts on the zoo MSSM on Adult (batch 1024, 1
 * thread, the 2-core machine under load):
 * - `stepSecondsPerMac`: the step time saved per multiply-add per example cut, per example of the
 *   batch: the sliced step of the frozen set a 10-epoch run ends with (73,248 -> 36,220
 *   multiply-adds per example) took 3.83 instead of 5.44 ms of CPU per step (medians of 8 x 30
 *   steps each, interleaved): 1.61 ms / (37,028 x 1024) = 4.2e-11 s.
 * - `switchSeconds`: cutting the forward, compiling the step, opening its session and its first,
 *   slower run: 0.13-0.17 s.
 */
export const SWITCH_COSTS = { stepSecondsPerMac: 4.2e-11, switchSeconds: 0.15 };

/**
 * Whether a step of `toMacs` multiply-adds per example pays for moving to it from the running one
 * of `fromMacs`, with `remaining` steps of `batch` examples left:
 *   (M_from − M_to) · batch · remaining · stepSecondsPerMac > switchSeconds.
 */
export function switchPays(fromMacs: number, toMacs: number, batch: number, remaining: number, costs: typeof SWITCH_COSTS = SWITCH_COSTS): boolean {
  return (fromMacs - toMacs) * batch * remaining * costs.stepSecondsPerMac > costs.switchSeconds;
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
  const cut = cutForward(manifest.spec, frozenNoise(manifest, frozen), new Set(rowWeightedTasks(manifest.graphs.train.inputs)));
  if (cut.key === "") return undefined;
  const compiled = sparseStep(manifest.spec, cut, { opset: manifest.opset, target, ...options });
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
  ) {
    this.full = { runner: full, key: "", macsPerExample: manifest.summary.macsPerExample };
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
    const cut = this.cutFor(state.stepFrozen);
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
    const from = this.current.macsPerExample;
    // A cut can remove at most every multiply-add: when even that does not pay, nothing is cut.
    if (frozen.size === 0 || !switchPays(from, 0, batch, remaining)) return false;
    const started = performance.now();
    const cut = this.cutFor(frozen);
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
