// Hard-concrete L0 gates (Louizos, Welling & Kingma 2018) as local functions, so each gate shows up
// as one named node (domain ai.mssm) in Netron while staying plain ONNX inside.
//
// The gate constants β, γ, ζ are function INPUTS, not constants baked into the bodies:
// - an ONNX function has one body but is type-generic, while a baked constant has one element type;
//   as inputs they take the caller's type (float32 in models, float64 in gradient checks);
// - they are spec settings (`gates { beta, gamma, zeta }`) that may differ per gate group or be
//   overridden on the command line, and one FunctionProto then serves every group;
// - autodiff simply needs no gradient for them (callers pass constants).
// The bodies still hold the pure numbers 0 and 1 (in log(1-u) and the clip), built in the
// inputs' element type.

import type { Builder, FunctionDef, Value } from "./graph.js";
import type { DType } from "./ops.js";

/** The paper's constants: β = 2/3 (temperature), γ = -0.1 and ζ = 1.1 (stretch interval). */
export const HARD_CONCRETE_DEFAULTS = { beta: 2 / 3, gamma: -0.1, zeta: 1.1 } as const;

/** Gate constants as numbers. */
export interface GateConstants {
  beta: number;
  gamma: number;
  zeta: number;
}

/** Gate constants as scalar constants of the graph, ready to pass to the functions. */
export function gateConstantValues(b: Builder, dtype: DType, c: GateConstants): { beta: Value; gamma: Value; zeta: Value } {
  return { beta: b.constant(c.beta, dtype), gamma: b.constant(c.gamma, dtype), zeta: b.constant(c.zeta, dtype) };
}

/** z = min(1, max(0, s(ζ−γ)+γ)): stretch a value in (0,1) to (γ,ζ) and clip to [0,1]. */
function stretchAndClip(b: Builder, s: Value, gamma: Value, zeta: Value): Value {
  const stretched = b.add(b.mul(s, b.sub(zeta, gamma, "width")), gamma, "stretched");
  return b.clip(stretched, 0, 1, "z");
}

/**
 * Training form, one sample per element of u ~ U(ε, 1−ε) (noise is an input: graphs hold no random op):
 * s = σ((log u − log(1−u) + log α)/β),  z = min(1, max(0, s(ζ−γ)+γ)). u is shaped like log α (one
 * draw per step) or has a batch axis in front (one per example): log α broadcasts, z has u's shape.
 */
export const HardConcreteSample: FunctionDef = {
  name: "HardConcreteSample",
  doc: "Hard-concrete gate sample: z = clip(sigmoid((log u - log(1-u) + log_alpha)/beta)*(zeta-gamma)+gamma, 0, 1)",
  inputs: ["log_alpha", "u", "beta", "gamma", "zeta"],
  outputs: ["z"],
  body: (b, [logAlpha, u, beta, gamma, zeta]) => {
    const one = b.constant(1, u!.dtype);
    const logit = b.sub(b.log(u!, "log_u"), b.log(b.sub(one, u!, "one_minus_u"), "log_one_minus_u"), "noise_logit");
    const s = b.sigmoid(b.div(b.add(logit, logAlpha!, "pre"), beta!, "scaled"), "s");
    return [stretchAndClip(b, s, gamma!, zeta!)];
  },
};

/** Inference form (deterministic; exactly 0 means pruned): z = min(1, max(0, σ(log α)(ζ−γ)+γ)). */
export const HardConcreteGate: FunctionDef = {
  name: "HardConcreteGate",
  doc: "Deterministic hard-concrete gate: z = clip(sigmoid(log_alpha)*(zeta-gamma)+gamma, 0, 1)",
  inputs: ["log_alpha", "gamma", "zeta"],
  outputs: ["z"],
  body: (b, [logAlpha, gamma, zeta]) => [stretchAndClip(b, b.sigmoid(logAlpha!, "s"), gamma!, zeta!)],
};

/** Probability that each gate is non-zero (its expected L0): σ(log α − β log(−γ/ζ)). Callers sum it. */
export const HardConcreteL0: FunctionDef = {
  name: "HardConcreteL0",
  doc: "Expected L0 per gate: sigmoid(log_alpha - beta*log(-gamma/zeta))",
  inputs: ["log_alpha", "beta", "gamma", "zeta"],
  outputs: ["l0"],
  body: (b, [logAlpha, beta, gamma, zeta]) => {
    const shift = b.mul(beta!, b.log(b.div(b.neg(gamma!, "neg_gamma"), zeta!, "ratio"), "log_ratio"), "shift");
    return [b.sigmoid(b.sub(logAlpha!, shift, "logit"), "l0")];
  },
};
