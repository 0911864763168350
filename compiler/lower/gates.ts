// Hard-concrete L0 gates (docs/design.md, "The mathematics"): one gate group is one log α param.
// Training samples z = HardConcreteSample(log α, u) with u an input of the step; evaluation uses
// the deterministic HardConcreteGate. `gates.noise` says how u is drawn (specs/language.md, "Hard-
// concrete L0 gates"): per_step, u shaped like log α, so z is one value per gate for the whole
// batch; per_example, u [batch, ...log α's shape], so z [batch, ...] holds each example's own
// sample (log α broadcast over the batch axis; the sample is element-wise).
//
// The gate groups one owner reads together (an expert's blocks, one per source; a consumer's
// l0_average terms) are packed: their log α params are concatenated along axis 0 and sampled by
// one Call, and the L0 term sums the pack once. The params, their names and the noise inputs stay
// one per gate group (the manifest's contract); what changes is the graph: a model with S sources
// per owner runs one gate computation per owner instead of S (and the training step's optimizer
// updates the pack at once, compiler/train-step/pack.ts).

import type { Value } from "../ir/graph.js";
import { HardConcreteGate, HardConcreteSample } from "../ir/hard-concrete.js";
import { BATCH } from "../ir/ops.js";
import { gateNoiseOf, type Spec } from "../load/types.js";
import { invariant } from "../../base/source/diagnostic.js";
import type { LowerContext } from "./context.js";
import { FIELD_GATES_SOURCE, gateScope } from "./names.js";

/** The local name of every log α param. */
export const LOG_ALPHA = "log_alpha";

/** Mean of the initial log α: the logit of keeping the gate, log(1 - p) - log p, for drop rate p. */
export function initialLogAlpha(initDrop: number): number {
  return Math.log(1 - initDrop) - Math.log(initDrop);
}

/**
 * The smallest log α whose deterministic gate is fully open, σ(log α)(ζ − γ) + γ = 1:
 * log α = log((1 − γ)/(ζ − 1)) (log 11 ≈ 2.40 with the defaults). Field gates start here: open, and
 * the nearest they can be to closing while open.
 */
export function openLogAlpha(gamma: number, zeta: number): number {
  return Math.log((1 - gamma) / (zeta - 1));
}

/** The std of the noise added to the initial log α (docs/design.md, "The mathematics": N(0, 0.01)). */
export const LOG_ALPHA_INIT_STD = 0.01;

/** One gate group of a pack: the source it gates and its shape. */
export interface GateBlock {
  readonly source: string;
  readonly shape: readonly number[];
}

/**
 * The gates of `blocks` in the current scope (`gates/<source>/log_alpha` each), packed along axis 0
 * (shapes must agree after their first axis) and sampled (train) or made deterministic (eval) at
 * once; returns z of the packed shape, with a batch axis in front when training under
 * `gates.noise: per_example` (the noise then packs along axis 1; see `sampledPerExample`). One
 * block is not packed. log α starts at `initialMean` (default: from `gates.init_drop`) + N(0, 0.01).
 */
export function l0Gates(ctx: LowerContext, blocks: readonly GateBlock[], initialMean = initialLogAlpha(ctx.spec.gates.init_drop)): Value {
  const { b, spec } = ctx;
  invariant(blocks.length > 0, "A gate pack needs a block.");
  const logAlphas = blocks.map((k) =>
    b.scope(gateScope(k.source), () => {
      const p = b.param(LOG_ALPHA, k.shape, { kind: "normal", mean: initialMean, std: LOG_ALPHA_INIT_STD }, { group: "gate" });
      ctx.logAlphas.push(p);
      return p;
    }),
  );
  const pack = (values: readonly Value[], axis: number, name: string) => (values.length === 1 ? values[0]! : b.concat(values, axis, name));
  const scope = blocks.length === 1 ? gateScope(blocks[0]!.source) : "gates";
  const logAlpha = pack(logAlphas, 0, `gates/${LOG_ALPHA}`);
  ctx.l0Inputs.push(logAlpha);
  const gamma = b.constant(spec.gates.gamma, "float32");
  const zeta = b.constant(spec.gates.zeta, "float32");
  return b.scope(scope, () => {
    if (ctx.mode === "eval") return b.call(HardConcreteGate, [logAlpha, gamma, zeta], ["z"])[0]!;
    const perExample = drawnPerExample(spec, blocks.every((k) => k.source === FIELD_GATES_SOURCE));
    const noiseOf = (p: Value) => {
      const group = gateGroupOf(p);
      const noise = ctx.noise.get(group);
      invariant(noise !== undefined, `Gate group ${group} was not planned, so it has no noise input.`);
      const built = perExample ? [BATCH, ...p.shape] : p.shape;
      invariant(noise.shape.join(",") === built.join(","), `Gate group ${group}: planned noise [${noise.shape.join(",")}], built [${built.join(",")}].`);
      return noise;
    };
    const u = pack(logAlphas.map(noiseOf), perExample ? 1 : 0, "u");
    const beta = b.constant(spec.gates.beta, "float32");
    return b.call(HardConcreteSample, [logAlpha, u, beta, gamma, zeta], ["z"])[0]!;
  });
}

/** Whether training draws a gate group's noise per example (`gates.noise`): every group, or only field gates (`fieldGates`). */
export function drawnPerExample(spec: Pick<Spec, "gates">, fieldGates: boolean): boolean {
  const noise = gateNoiseOf(spec);
  return noise === "per_example" || (noise === "per_example_fields" && fieldGates);
}

/** True for gates sampled per example: z [batch, ...] (l0Gates in training), one sample per example. */
export function sampledPerExample(z: Value): boolean {
  return z.shape[0] === BATCH;
}

/** The gate group a log α param belongs to (its name without `/log_alpha`); for a pack, `<owner>/gates`. */
export function gateGroupOf(logAlpha: Value): string {
  invariant(logAlpha.name.endsWith(`/${LOG_ALPHA}`), `${logAlpha.name} is not a log α param.`);
  return logAlpha.name.slice(0, -LOG_ALPHA.length - 1);
}
