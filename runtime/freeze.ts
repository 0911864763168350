// Freezing closed gates during training (docs/design.md, "The training step"). A gate element is
// frozen closed once its training-time probability of being non-zero,
//   P(z > 0) = σ(log α − β log(−γ/ζ)),
// is below ε (compiler/sparse-step/settings.ts). From then on:
// - its noise is still drawn, so every other gate sees the same draws whatever is frozen (the
//   stream of step t stays Random.stream(seed, STREAM.gateNoise, t)), but it is fed as u = 1e-6
//   (NOISE_EPS): z = clip(σ((log u − log(1−u) + log α)/β)(ζ−γ) + γ, 0, 1) is exactly 0 whenever
//   log α ≤ β log(−γ/ζ) − logit(u) (≈ 12.2 with the defaults), and a frozen log α is below
//   logit(ε) + β log(−γ/ζ) (≈ −4.5 for the default ε = 0.05); Clip passes no gradient there;
// - evaluation's deterministic gate is 0 as well: a frozen log α left above its bound
//   logit(−γ/(ζ−γ)) (≈ −2.4; only an ε above ≈ 0.31 leaves one there) is set below it;
// - its log α and that element's optimizer state are put back after each step: no update, value kept.
// Nothing freezes in a group the gate warm-up holds still. Frozen is never undone, and the frozen
// set is part of the checkpoint, so resume stays bit-exact.

import { closedLogAlpha, evaluationClosedBound, GATE_WARMUP_HOLDS, logAlphaParam, openProbability, selectionGateGroup, type Manifest } from "../compiler/index.js";
import type { TrainState } from "./checkpoint.js";

/** Frozen gate elements: per gate group (by name), 1 where the element is frozen closed. */
export type FrozenGates = Map<string, Uint8Array>;

/** How many gate elements are frozen. */
export const frozenCount = (frozen: FrozenGates): number => [...frozen.values()].reduce((a, m) => a + m.reduce((s, x) => s + x, 0), 0);

/**
 * Freezes every open gate element whose P(z > 0) is below `threshold`, except in the groups
 * `held` (those the gate warm-up holds still: their log α has not trained yet); returns how many
 * it froze. A frozen element's z is 0 in training; where its log α is not yet closed in
 * evaluation as well (above evaluationClosedBound, which only an ε above
 * evaluationClosedThreshold, ≈ 0.31, reaches), it is set to closedLogAlpha, so that validation,
 * inspect and export read the gate training uses.
 */
export function freezeClosedGates(manifest: Manifest, state: TrainState, threshold: number, held: ReadonlySet<string> = new Set()): number {
  const gates = manifest.spec.gates;
  const bound = evaluationClosedBound(gates);
  const closed = closedLogAlpha(gates);
  let added = 0;
  for (const g of manifest.gate_groups) {
    if (held.has(g.name)) continue;
    const logAlpha = state.params.get(logAlphaParam(g.name))!;
    const mask = state.frozen.get(g.name) ?? new Uint8Array(logAlpha.length);
    for (let i = 0; i < logAlpha.length; i++) {
      if (mask[i] || openProbability(logAlpha[i]!, gates) >= threshold) continue;
      mask[i] = 1;
      if (logAlpha[i]! >= bound) logAlpha[i] = closed;
      added++;
    }
    if (mask.some((x) => x)) state.frozen.set(g.name, mask);
  }
  return added;
}

/**
 * What the gate warm-up holds still (compiler/sparse-step/settings.ts): every gate group (`all`,
 * done by a learning rate of 0), or the field gates only for a model named in
 * GATE_WARMUP_HOLDS.fieldsOnly; `groups` names them.
 */
export function warmupHeld(manifest: Manifest): { all: boolean; groups: Set<string> } {
  const fields = new Set(manifest.spec.groups.map(selectionGateGroup));
  const all = !GATE_WARMUP_HOLDS.fieldsOnly.has(manifest.spec.model);
  return { all, groups: new Set(manifest.gate_groups.filter((g) => all || fields.has(g.name)).map((g) => g.name)) };
}

/** The tensors of each gate group that a frozen element must keep: its log α, then each optimizer state of it (by state-map name). */
export function frozenTensors(manifest: Manifest): Map<string, { param: string; states: string[] }> {
  const statesOf = new Map<string, string[]>();
  const add = (of: string, name: string) => statesOf.set(of, [...(statesOf.get(of) ?? []), name]);
  for (const input of manifest.graphs.train.inputs) {
    if (input.role !== "state") continue;
    if (input.members) for (const m of input.members) add(m.of, m.name);
    else if (input.of !== undefined) add(input.of, input.name);
  }
  return new Map(manifest.gate_groups.map((g) => [g.name, { param: logAlphaParam(g.name), states: statesOf.get(logAlphaParam(g.name)) ?? [] }]));
}

/**
 * Remembers the frozen elements' log α and optimizer state (of `tensors`, by gate group) before a
 * step; the returned function puts them back into the step's results. `frozen`: which elements
 * (default: the state's frozen set).
 */
export function holdFrozen(tensors: ReadonlyMap<string, { param: string; states: string[] }>, state: TrainState, frozen: FrozenGates = state.frozen): () => void {
  const kept: { map: Map<string, Float32Array>; name: string; mask: Uint8Array; values: Float32Array }[] = [];
  for (const [group, mask] of frozen) {
    const t = tensors.get(group)!;
    kept.push({ map: state.params, name: t.param, mask, values: state.params.get(t.param)!.slice() });
    for (const s of t.states) kept.push({ map: state.states, name: s, mask, values: state.states.get(s)!.slice() });
  }
  return () => {
    for (const { map, name, mask, values } of kept) {
      const now = map.get(name)!;
      for (let i = 0; i < mask.length; i++) if (mask[i]) now[i] = values[i]!;
    }
  };
}
