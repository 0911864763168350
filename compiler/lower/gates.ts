// Hard-concrete L0 gates (DESIGN §3): one gate group is one log α tensor. Training samples
// z = HardConcreteSample(log α, u) with u an input of the step (one draw per step, shaped like
// log α); evaluation uses the deterministic HardConcreteGate.

import type { Value } from "../ir/graph.js";
import { HardConcreteGate, HardConcreteSample } from "../ir/hard-concrete.js";
import { invariant } from "../source/diagnostic.js";
import type { LowerContext } from "./context.js";
import { gateScope } from "./names.js";

const LOG_ALPHA = "log_alpha";

/** Mean of the initial log α: the logit of keeping the gate, log(1 - p) - log p, for drop rate p. */
export function initialLogAlpha(initDrop: number): number {
  return Math.log(1 - initDrop) - Math.log(initDrop);
}

/** The std of the noise added to the initial log α (DESIGN §3: N(0, 0.01)). */
export const LOG_ALPHA_INIT_STD = 0.01;

/** Gates of shape `shape` for reading `source`, in scope `gates/<source>` of the current scope; returns z. */
export function l0Gate(ctx: LowerContext, source: string, shape: readonly number[]): Value {
  const { b, spec } = ctx;
  return b.scope(gateScope(source), () => {
    const logAlpha = b.param(LOG_ALPHA, shape, { kind: "normal", mean: initialLogAlpha(spec.gates.init_drop), std: LOG_ALPHA_INIT_STD }, { group: "gate" });
    ctx.logAlphas.push(logAlpha);
    const gamma = b.constant(spec.gates.gamma, "float32");
    const zeta = b.constant(spec.gates.zeta, "float32");
    if (ctx.mode === "eval") return b.call(HardConcreteGate, [logAlpha, gamma, zeta], ["z"])[0]!;
    const group = gateGroupOf(logAlpha);
    const u = ctx.noise.get(group);
    invariant(u !== undefined, `Gate group ${group} was not planned, so it has no noise input.`);
    invariant(u.shape.join(",") === shape.join(","), `Gate group ${group}: planned shape [${u.shape.join(",")}], built [${shape.join(",")}].`);
    const beta = b.constant(spec.gates.beta, "float32");
    return b.call(HardConcreteSample, [logAlpha, u, beta, gamma, zeta], ["z"])[0]!;
  });
}

/** The gate group a log α param belongs to (its name without `/log_alpha`). */
export function gateGroupOf(logAlpha: Value): string {
  invariant(logAlpha.name.endsWith(`/${LOG_ALPHA}`), `${logAlpha.name} is not a log α param.`);
  return logAlpha.name.slice(0, -LOG_ALPHA.length - 1);
}
