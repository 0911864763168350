// Moving a run to the smaller training step as its gates freeze (docs/design.md, "The training
// step"). After each freeze the compiler cuts the train-mode forward to what the frozen gates leave
// open (compiler/sparse-step/); when the cut differs from the running step's, the run switches to
// the step compiled for it, each compiled and opened once per run (cached by its cut). The smaller
// step's inputs and outputs are the full step's, by name, so parameters, optimizer state and
// embedding rows carry over as they are; the runner only repacks params whose packing differs.
// Which step runs is a function of the frozen set alone, which the checkpoint holds, so a resumed
// run picks the same step.

import type * as ort from "onnxruntime-node";
import { cutForward, rowWeightedTasks, sparseStep, type Manifest, type TargetName, withTrainStep } from "../compiler/index.js";
import type { FrozenGates } from "./freeze.js";
import { StepRunner } from "./step.js";

/** The step a run is on: its runner, its cut ("" for the artifact's full step) and its multiply-adds per example. */
export interface CurrentStep {
  readonly runner: StepRunner;
  readonly key: string;
  readonly macsPerExample: number;
}

/** The steps of one run, the artifact's full one first. */
export class StepSwitch {
  private readonly steps = new Map<string, CurrentStep>();
  current: CurrentStep;
  /** Seconds spent cutting, compiling and opening steps. */
  compileSeconds = 0;

  constructor(
    private readonly manifest: Manifest,
    full: StepRunner,
    private readonly target: TargetName,
    private readonly open: (model: Uint8Array) => Promise<ort.InferenceSession>,
    private readonly totalSteps: number,
    private readonly gateHoldSteps = 0,
  ) {
    this.current = { runner: full, key: "", macsPerExample: manifest.summary.macsPerExample };
    this.steps.set("", this.current);
  }

  /** Moves to the step for `frozen` (compiling it on first use); true when the step changed. */
  async follow(frozen: FrozenGates): Promise<boolean> {
    const started = performance.now();
    const noise = new Map(this.manifest.gate_groups.flatMap((g) => (frozen.has(g.name) ? [[g.noise, frozen.get(g.name)!] as const] : [])));
    const cut = cutForward(this.manifest.spec, noise, new Set(rowWeightedTasks(this.manifest.graphs.train.inputs)));
    let step = this.steps.get(cut.key);
    if (!step) {
      const compiled = sparseStep(this.manifest.spec, cut, { opset: this.manifest.opset, target: this.target });
      const runner = new StepRunner(withTrainStep(this.manifest, compiled), await this.open(compiled.bytes), this.totalSteps, this.gateHoldSteps);
      step = { runner, key: cut.key, macsPerExample: compiled.macsPerExample };
      this.steps.set(cut.key, step);
    }
    this.compileSeconds += (performance.now() - started) / 1000;
    const changed = step !== this.current;
    this.current = step;
    return changed;
  }
}
