// y = f(x) for a local function f  =>  the same reverse pass over f's body (primitive ops), written
// inline in the caller, so the forward stays one Call node (visible in Netron). A Call exposes only
// its outputs, so body values the body's rules read are recomputed from the call's inputs.
import { instantiate } from "../../ir/graph.js";
import { once } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Call, by differentiating the function's body. */
export const Call: GradRule<"Call"> = {
  keeps: { inputs: "all", outputs: "all" },
  grad: (ctx) => {
    const grads = once(() => ctx.differentiate(instantiate(ctx.fn!, ctx.inputs)));
    return ctx.inputs.map((_t, i) => () => grads()[i]);
  },
};
