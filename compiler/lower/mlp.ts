// Experts and towers are MLPs: dense layers y = act(x W + b), W Glorot-uniform, b zero (a
// regression tower's output b: the training label mean, docs/design.md "Initial values").

import type { Builder, Value } from "../ir/graph.js";
import type { Init } from "../ir/init.js";
import type { Activation } from "../load/types.js";
import type { LowerContext } from "./context.js";

/** Negative slope of leaky_relu. */
export const LEAKY_RELU_ALPHA = 0.01;
/** α of elu. */
export const ELU_ALPHA = 1;

/** act(x), named `name`; `linear` returns x itself. */
export function activate(b: Builder, x: Value, activation: Activation, name: string): Value {
  switch (activation) {
    case "relu":
      return b.relu(x, name);
    case "leaky_relu":
      return b.leakyRelu(x, LEAKY_RELU_ALPHA, name);
    case "elu":
      return b.elu(x, ELU_ALPHA, name);
    case "tanh":
      return b.tanh(x, name);
    case "sigmoid":
      return b.sigmoid(x, name);
    case "linear":
      return x;
    case "gelu": {
      // gelu(x) = 0.5 x (1 + erf(x / √2)), the exact form, from primitives.
      const erf = b.erf(b.mul(x, b.constant(Math.SQRT1_2, x.dtype), `${name}/scaled`), `${name}/erf`);
      const half = b.mul(x, b.constant(0.5, x.dtype), `${name}/half`);
      return b.mul(half, b.add(erf, b.constant(1, x.dtype), `${name}/one_plus_erf`), name);
    }
  }
}

/** One layer of an MLP. */
export interface LayerSpec {
  /** Local scope: `dense0`, ..., or `out` for a tower's output layer. */
  readonly name: string;
  readonly width: number;
  readonly activation: Activation;
  /** The bias's initialiser (default zeros). */
  readonly biasInit?: Init;
}

/**
 * How a gated first layer (cssm) computes its x W: with a `mask` [in, out] on the weight, the same
 * for every example (gates sampled per step, and evaluation), or with its own `product` of the
 * layer's input and weight [batch, out] (gates sampled per example).
 */
export type FirstLayerGates = { readonly mask: Value } | { readonly product: (weight: Value) => Value };

/**
 * act(x (W ⊙ mask) + b) in scope `layer.name`, with params `weight` [in, out] and `bias` [out];
 * `gates` gate the weight (cssm). The weight joins the L2 term.
 */
export function denseLayer(ctx: LowerContext, x: Value, inWidth: number, layer: LayerSpec, gates?: FirstLayerGates): Value {
  const { b } = ctx;
  return b.scope(layer.name, () => {
    const weight = b.param("weight", [inWidth, layer.width], { kind: "glorot_uniform" });
    ctx.weights.push(weight);
    const bias = b.param("bias", [layer.width], layer.biasInit ?? { kind: "zeros" });
    const xw = gates && "product" in gates ? gates.product(weight) : b.matmul(x, gates ? b.mul(weight, gates.mask, "gated_weight") : weight, "xw");
    const pre = b.add(xw, bias, "pre");
    return activate(b, pre, layer.activation, "out");
  });
}

/**
 * The layers one after another in the current scope; `firstGates(out)` (cssm), called in the
 * current scope, gates the first layer.
 */
export function mlp(ctx: LowerContext, x: Value, inWidth: number, layers: readonly LayerSpec[], firstGates?: (out: number) => FirstLayerGates): Value {
  let h = x;
  let width = inWidth;
  layers.forEach((layer, i) => {
    h = denseLayer(ctx, h, width, layer, i === 0 && firstGates ? firstGates(layer.width) : undefined);
    width = layer.width;
  });
  return h;
}

/** An expert's layers: `dense0`, `dense1`, ..., each followed by the activation. */
export function expertLayers(widths: readonly number[], activation: Activation): LayerSpec[] {
  return widths.map((width, i) => ({ name: `dense${i}`, width, activation }));
}
