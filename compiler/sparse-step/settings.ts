// Training that gets cheaper as its gates close (docs/design.md, "The training step"): when a
// hard-concrete gate's probability of being non-zero,
//   P(z > 0) = σ(log α − β log(−γ/ζ)),
// falls below ε, the runtime freezes it closed: z is fed as exactly 0, log α and its optimizer
// state stop changing. The settings below resolve the spec's `train` options to their defaults.

import type { Spec } from "../load/types.js";

/**
 * The default ε. First measured on the zoo MSSM on Adult when it set its own gate settings (λ0
 * 1e-3, gates on Adam 3e-2 from the first step; 10 epochs, seed 7): ε = 0.05 froze 498 gates and
 * ε = 0.1 558, both keeping the test AUCs of the run without freezing to 4 decimals. Measured again
 * under today's gate defaults (Adam 0.2 after a warm-up of half the epochs; 10 epochs, seeds 1-3,
 * `node dist/bench/sparse-training.js --only on --thresholds 0.02,0.1,0.2`, bench/RESULTS.md):
 * ε 0.02, 0.05, 0.1 and 0.2 froze 250-294, 407-454, 477-510 and 511-542 gates and all kept the
 * test AUCs of the run without freezing within 1e-4, with the same gates closed (±2 of 526-553).
 * 0.05 stays the default: no value in that range costs accuracy, and on 10 epochs none makes a
 * switch pay (docs/design.md, "When to switch").
 */
export const FREEZE_THRESHOLD = 0.05;

/** When and how closed gates are frozen during training. */
export interface FreezeSettings {
  /** Whether closed gates are frozen at all. */
  readonly on: boolean;
  /** ε: frozen when P(z > 0) < ε. */
  readonly threshold: number;
  /** Also freeze every this many steps (besides each epoch's end); undefined: at epoch ends only. */
  readonly every: number | undefined;
}

/** The freezing settings of a checked spec; `hasGates`: the model has L0 gates (nothing to freeze otherwise). */
export function freezeSettings(spec: Pick<Spec, "train">, hasGates: boolean): FreezeSettings {
  const t = spec.train;
  return { on: hasGates && (t.prune_during_training ?? true), threshold: t.freeze_threshold ?? FREEZE_THRESHOLD, every: t.freeze_every };
}

/**
 * Gate warm-up: the epochs during which the gate parameters (log α, the FSCM vectors) hold still
 * (their learning rate is 0) while the rest of the model learns; `train.gate_warmup`, absent: half
 * the epochs, rounded down, for a model with L0 gates, else 0. An L0 gate that trains from the first
 * step closes every field or cell whose use the network has not learned yet: on
 * `mssmc synth --recipe fields`, a true field whose effect is x² − 1 is learned only around epoch 7
 * of 15, and every gate setting tried without a warm-up closed it (specs/language.md, "Choosing
 * the defaults").
 */
export function gateWarmupEpochs(spec: Pick<Spec, "train">, hasGates: boolean): number {
  return spec.train.gate_warmup ?? (hasGates ? Math.floor(spec.train.epochs / 2) : 0);
}

/**
 * Which gates the gate warm-up holds, an experiment the benches set (bench/warmup-groups.ts,
 * bench/sparse-training.ts), not a language setting: the models named in `fieldsOnly` (by their
 * spec's model name) hold only their field gates' log α still (put back after each step, which is
 * what a learning rate of 0 does to them), and their cell gates train from the first step; every
 * other model holds all its gates (the language's rule: the gate group's learning rate is fed as 0).
 */
export const GATE_WARMUP_HOLDS: { fieldsOnly: Set<string> } = { fieldsOnly: new Set() };

/**
 * The largest log α whose deterministic (evaluation and export) gate clip(σ(log α)(ζ − γ) + γ, 0, 1)
 * is 0: logit(−γ/(ζ − γ)), about −2.4 with the default constants.
 */
export function evaluationClosedBound(gates: Pick<Spec["gates"], "gamma" | "zeta">): number {
  const p = -gates.gamma / (gates.zeta - gates.gamma);
  return Math.log(p / (1 - p));
}

/**
 * The log α of a gate closed on purpose (by the field check, or frozen while evaluation would
 * still open it), with the default constants: its deterministic gate is 0, its P(z > 0) about
 * 2e-4, and with the frozen noise ε its sample is exactly 0.
 */
export const CLOSED_LOG_ALPHA = -10;

/** CLOSED_LOG_ALPHA, or 1 below evaluationClosedBound where the gate constants put that bound lower. */
export function closedLogAlpha(gates: Pick<Spec["gates"], "gamma" | "zeta">): number {
  return Math.min(CLOSED_LOG_ALPHA, evaluationClosedBound(gates) - 1);
}

/**
 * The largest ε under which every gate freezing closes is closed in evaluation already:
 * P(z > 0) at evaluationClosedBound, σ(logit(−γ/(ζ − γ)) − β log(−γ/ζ)), about 0.31 with the
 * default constants. Above it, freezing also closes gates evaluation still opens (runtime/freeze.ts).
 */
export function evaluationClosedThreshold(gates: Pick<Spec["gates"], "beta" | "gamma" | "zeta">): number {
  return openProbability(evaluationClosedBound(gates), gates);
}

/** P(z > 0) of a hard-concrete gate in training: σ(log α − β log(−γ/ζ)). */
export function openProbability(logAlpha: number, gates: Pick<Spec["gates"], "beta" | "gamma" | "zeta">): number {
  return 1 / (1 + Math.exp(-(logAlpha - gates.beta * Math.log(-gates.gamma / gates.zeta))));
}
